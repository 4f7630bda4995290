namespace Orchestrator.Layers;

/// <summary>
/// Turns a tar entry name into a safe relative path (forward slashes, no <c>.</c>, no leading
/// <c>./</c>). Absolute names and <c>..</c> components are refused: a layer is applied relative to
/// a root and must never address anything above it.
/// </summary>
public static class LayerPath
{
    /// <summary>Returns the normalised relative path, or an empty string for the root itself.</summary>
    public static string Normalize(string entryName, string layerLabel)
    {
        if (entryName.StartsWith('/'))
            throw new OrchestratorException($"layer {layerLabel}: entry '{entryName}' has an absolute path; layer tars must use relative paths. Rebuild the layer with relative entry names.");
        var parts = new List<string>();
        foreach (var part in entryName.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..")
                throw new OrchestratorException($"layer {layerLabel}: entry '{entryName}' contains '..' and would escape the image root; the layer is malformed or malicious. Rebuild it without parent-directory components.");
            if (part.Contains('\0'))
                throw new OrchestratorException($"layer {layerLabel}: entry '{entryName}' contains a NUL character.");
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    public static string Parent(string relativePath)
    {
        var slash = relativePath.LastIndexOf('/');
        return slash < 0 ? "" : relativePath[..slash];
    }

    public static string Name(string relativePath)
    {
        var slash = relativePath.LastIndexOf('/');
        return slash < 0 ? relativePath : relativePath[(slash + 1)..];
    }

    public static string Combine(string parent, string name) => parent.Length == 0 ? name : parent + "/" + name;

    /// <summary>Host path of a relative layer path below <paramref name="root"/>.</summary>
    public static string OnHost(string root, string relativePath) =>
        relativePath.Length == 0 ? root : Path.Combine(root, relativePath);
}
