using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

using System.Runtime.Versioning;

namespace Orchestrator.Tests.Conformance;

/// <summary>
/// What BuildKit built for one case, committed as <c>Cases/&lt;name&gt;/buildkit.golden.json</c>: the image relative to
/// the base of its final stage (<see cref="RootfsSnapshot.ChangesFrom"/>, volatile files left out) and the config
/// fields <see cref="ImageConfigFields"/> compares. <see cref="ContentCompared"/> is false for the package cases,
/// whose golden holds paths, types, modes and owners only (<see cref="RootfsSnapshot.ShapeOnly"/>), without the files
/// whose names carry a package version (apt's downloaded .deb files).
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed record BuildKitGolden(string BuildKit, string Base, bool ContentCompared, ImageConfigFields Config, RootfsSnapshot Changes)
{
    public const string FileName = "buildkit.golden.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // config values hold quotes: keep them readable
    };

    /// <summary>Left out of a golden whose content is not compared, besides the volatile files: names that carry a package version.</summary>
    private static readonly string[] VersionNamedFiles = ["/var/cache/apt/archives/*.deb"];

    /// <summary>The comparer of a golden's changes: volatile files left out, and version-named ones too where only the shape is compared.</summary>
    public static RootfsComparer Comparer(bool contentCompared) =>
        new(contentCompared ? ConformanceCase.VolatileFiles : [.. ConformanceCase.VolatileFiles, .. VersionNamedFiles]);

    public static string PathOf(string caseName) => Path.Combine(ConformanceCase.CasesDirectory, caseName, FileName);

    public static bool Exists(string caseName) => File.Exists(PathOf(caseName));

    public static BuildKitGolden Read(string caseName) => ReadFile(PathOf(caseName));

    public void Write(string caseName) => WriteFile(PathOf(caseName));

    public static BuildKitGolden ReadFile(string path)
    {
        var file = JsonSerializer.Deserialize<GoldenFile>(File.ReadAllBytes(path), Json)
            ?? throw new InvalidDataException($"{path} is empty");
        var entries = new SortedDictionary<string, RootfsEntry>(StringComparer.Ordinal);
        foreach (var e in file.Changed)
            entries[e.Path] = new RootfsEntry(e.Path, e.Type, Convert.ToInt32(e.Mode, 8), e.Uid, e.Gid, e.Size ?? 0, e.Sha256, e.LinkTarget, e.HardlinkGroup);
        foreach (var removed in file.Removed) entries[removed] = RootfsEntry.Removed(removed);
        return new BuildKitGolden(file.BuildKit, file.Base, file.Compare == "full", new ImageConfigFields(file.Config), new RootfsSnapshot(entries));
    }

    public void WriteFile(string path)
    {
        var changes = ContentCompared ? Changes : Changes.ShapeOnly();
        var file = new GoldenFile(
            BuildKit,
            Base,
            ContentCompared ? "full" : "shape",
            new SortedDictionary<string, string>(Config.Fields.ToDictionary(), StringComparer.Ordinal),
            changes.Entries.Values.Where(e => e.Type != RootfsEntry.RemovedType)
                .Select(e => new GoldenEntry(e.Path, e.Type, Convert.ToString(e.Mode, 8).PadLeft(4, '0'), e.Uid, e.Gid,
                    e.ContentHash is not null and not RootfsEntry.SameContentAsBase ? e.Size : null, e.ContentHash, e.LinkTarget, e.HardlinkGroup))
                .ToList(),
            changes.Entries.Values.Where(e => e.Type == RootfsEntry.RemovedType).Select(e => e.Path).ToList());
        File.WriteAllText(path, JsonSerializer.Serialize(file, Json) + "\n");
    }

    private sealed record GoldenFile(
        string BuildKit,
        string Base,
        string Compare,
        SortedDictionary<string, string> Config,
        List<GoldenEntry> Changed,
        List<string> Removed);

    private sealed record GoldenEntry(string Path, string Type, string Mode, long Uid, long Gid, long? Size, string? Sha256, string? LinkTarget, string? HardlinkGroup);
}
