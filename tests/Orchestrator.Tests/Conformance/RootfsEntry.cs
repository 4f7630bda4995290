namespace Orchestrator.Tests.Conformance;

/// <summary>What a root filesystem holds at one path, in the terms two images are compared by (never mtime).</summary>
internal sealed record RootfsEntry(string Path, string Type, int Mode, long Uid, long Gid, long Size, string? ContentHash, string? LinkTarget, string? HardlinkGroup)
{
    /// <summary>The type of an entry of a change set (<see cref="RootfsSnapshot.ChangesFrom"/>) whose path the base has and the image does not.</summary>
    public const string RemovedType = "removed";

    /// <summary>
    /// The content of an entry of a change set whose bytes are those of the base file at the same path (only its
    /// metadata changed): a change set records no size or hash of it, so it holds whatever version of the base is used.
    /// </summary>
    public const string SameContentAsBase = "base";

    public static RootfsEntry Removed(string path) => new(path, RemovedType, 0, 0, 0, 0, null, null, null);

    /// <summary>The fields that differ from <paramref name="other"/>, each as "name: this vs other".</summary>
    public IEnumerable<string> Differences(RootfsEntry other, string thisName, string otherName)
    {
        if (Type != other.Type)
        {
            yield return $"type {Type} ({thisName}) vs {other.Type} ({otherName})";
            yield break;
        }
        if (Mode != other.Mode) yield return $"mode {Convert.ToString(Mode, 8).PadLeft(4, '0')} ({thisName}) vs {Convert.ToString(other.Mode, 8).PadLeft(4, '0')} ({otherName})";
        if (Uid != other.Uid || Gid != other.Gid) yield return $"owner {Uid}:{Gid} ({thisName}) vs {other.Uid}:{other.Gid} ({otherName})";
        if (Size != other.Size) yield return $"size {Size} ({thisName}) vs {other.Size} ({otherName})";
        else if (ContentHash != other.ContentHash) yield return $"content {Short(ContentHash)} ({thisName}) vs {Short(other.ContentHash)} ({otherName})";
        if (LinkTarget != other.LinkTarget) yield return $"link target '{LinkTarget}' ({thisName}) vs '{other.LinkTarget}' ({otherName})";
        if (HardlinkGroup != other.HardlinkGroup) yield return $"hardlinked with '{HardlinkGroup ?? "-"}' ({thisName}) vs '{other.HardlinkGroup ?? "-"}' ({otherName})";
    }

    public override string ToString() =>
        Type == RemovedType ? RemovedType : $"{Type} {Convert.ToString(Mode, 8).PadLeft(4, '0')} {Uid}:{Gid}" + (LinkTarget is null ? "" : $" -> {LinkTarget}");

    private static string? Short(string? hash) => hash is { Length: > 12 } ? hash[..12] : hash;
}
