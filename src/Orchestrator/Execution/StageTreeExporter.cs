using Orchestrator.Layers;

using System.Runtime.Versioning;

namespace Orchestrator.Execution;

/// <summary>
/// Copies a subtree of an image, as its stacked layer folders present it, into a plain folder:
/// what <c>COPY --from=stage</c> reads. Only the requested subtree is touched, so the cost follows
/// what is copied, not the size of the source image, and nothing is extracted again.
/// </summary>
[SupportedOSPlatform("linux")]
public static class StageTreeExporter
{
    /// <summary>Copies <paramref name="imagePath"/> (absolute in the image) to <paramref name="target"/>; false when it does not exist.</summary>
    public static bool Export(LocalImage image, string imagePath, string target)
    {
        var layers = image.FoldersTopFirst;
        var view = new LayerStackView(layers);
        var relative = imagePath.Trim('/');
        if (relative.Length == 0)
        {
            Directory.CreateDirectory(target);
            CopyChildren(layers, view, "", target);
            return true;
        }
        var source = view.Resolve(relative);
        if (source is null) return false;
        CopyEntry(layers, view, relative, source, target);
        return true;
    }

    private static void CopyEntry(IReadOnlyList<string> layers, LayerStackView view, string relative, string source, string target)
    {
        var info = new FileInfo(source);
        if (info.LinkTarget is { } link)
        {
            // A file an earlier source of the same COPY exported there (that source followed the link).
            if (Libc.LinkStatus(target) is { } existing && !FileKind.IsDirectory(existing)) File.Delete(target);
            File.CreateSymbolicLink(target, link);
        }
        else if (Directory.Exists(source))
        {
            Directory.CreateDirectory(target);
            CopyChildren(layers, view, relative, target);
            File.SetUnixFileMode(target, File.GetUnixFileMode(source));
        }
        else if (File.Exists(source))
        {
            File.Copy(source, target, overwrite: true);
            File.SetUnixFileMode(target, File.GetUnixFileMode(source));
        }
    }

    private static void CopyChildren(IReadOnlyList<string> layers, LayerStackView view, string relative, string target)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            var folder = relative.Length == 0 ? layer : Path.Combine(layer, relative);
            if (!Directory.Exists(folder) || new FileInfo(folder).LinkTarget is not null) continue;
            foreach (var entry in Directory.EnumerateFileSystemEntries(folder)) names.Add(Path.GetFileName(entry));
            if (relative.Length > 0 && LayerStackView.IsOpaque(folder)) break;
        }
        foreach (var name in names)
        {
            var childRelative = relative.Length == 0 ? name : relative + "/" + name;
            if (view.Resolve(childRelative) is { } childSource)
                CopyEntry(layers, view, childRelative, childSource, Path.Combine(target, name));
        }
    }
}
