using System.Reflection;
using System.Runtime.Loader;

namespace Orchestrator.Scripting;

/// <summary>
/// Holds one evaluated script assembly. <c>#r</c> assemblies (and files next to them) load here from
/// their paths; everything else — the engine, the framework — comes from the context that loaded the
/// engine, so the script and its host share one <see cref="Recipes.RecipeBook"/> type even when the
/// engine itself runs in a plugin context.
/// </summary>
internal sealed class ScriptLoadContext : AssemblyLoadContext
{
    private readonly AssemblyLoadContext _host;
    private readonly Dictionary<string, string> _references = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _referenceDirectories = [];

    public ScriptLoadContext(string scriptPath, IEnumerable<string> referencePaths, AssemblyLoadContext host)
        : base($"build script {Path.GetFileName(scriptPath)}")
    {
        _host = host;
        HashSet<string>? platform = null;
        foreach (var path in referencePaths)
        {
            // Framework assemblies named with #r are the host's own; loading a second copy would split types.
            platform ??= PlatformAssemblies();
            if (platform.Contains(path)) continue;
            _references[Path.GetFileNameWithoutExtension(path)] = path;
            var directory = Path.GetDirectoryName(path);
            if (directory is not null && !_referenceDirectories.Contains(directory)) _referenceDirectories.Add(directory);
        }
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var name = assemblyName.Name ?? "";
        if (_references.TryGetValue(name, out var path)) return LoadCopy(path);

        var fromHost = LoadFromHost(assemblyName);
        if (fromHost is not null) return fromHost;

        foreach (var directory in _referenceDirectories)
        {
            var candidate = Path.Combine(directory, name + ".dll");
            if (File.Exists(candidate)) return LoadCopy(candidate);
        }
        return null;
    }

    /// <summary>
    /// Loads from the file's bytes, not its path: the runtime caches images by path, so an assembly rebuilt
    /// in place between two evaluations in one process would otherwise be read through the stale mapping.
    /// </summary>
    private Assembly LoadCopy(string path)
    {
        using var stream = new MemoryStream(File.ReadAllBytes(path), writable: false);
        return LoadFromStream(stream);
    }

    private Assembly? LoadFromHost(AssemblyName assemblyName)
    {
        try
        {
            return _host.LoadFromAssemblyName(assemblyName);
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            return null;
        }
    }

    private static HashSet<string> PlatformAssemblies() =>
        AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string trusted
            ? trusted.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal)
            : [];
}
