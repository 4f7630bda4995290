using System.Security.Cryptography;
using System.Text;
using Orchestrator.Oci;
using Orchestrator.Recipes;

namespace Orchestrator.Scripting;

/// <summary>
/// Names a compiled-script cache entry: SHA-256 over length-prefixed parts — a format tag, the runtime
/// version, each engine assembly's name, version and MVID, each compiler assembly's version and its
/// file's size and time, the root script's full path and its content. <c>#load</c>ed files and <c>#r</c> assemblies are not in the key;
/// the entry's manifest lists them with their hashes and a hit requires all to be unchanged.
/// </summary>
internal static class ScriptCacheKey
{
    private const string Format = "orchestrator-script-cache/1";

    /// <summary>Compiler assemblies whose identity is part of the key; described without loading them.</summary>
    private static readonly string[] CompilerAssemblies =
    [
        "Microsoft.CodeAnalysis",
        "Microsoft.CodeAnalysis.CSharp",
        "Microsoft.CodeAnalysis.Scripting",
        "Microsoft.CodeAnalysis.CSharp.Scripting",
    ];

    private static readonly Lazy<IReadOnlyList<string>> s_toolIdentity = new(ComputeToolIdentity);

    public static string Compute(string scriptPath, byte[] content)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, Format);
        foreach (var part in s_toolIdentity.Value) Append(hash, part);
        Append(hash, scriptPath);
        Append(hash, content);
        return Digest.FromHash(hash.GetHashAndReset()).Hex;
    }

    private static List<string> ComputeToolIdentity()
    {
        var parts = new List<string> { "runtime " + Environment.Version };
        foreach (var assembly in new[] { typeof(OrchestratorException).Assembly, typeof(RecipeBook).Assembly, typeof(ScriptCacheKey).Assembly })
        {
            var name = assembly.GetName();
            parts.Add($"{name.Name} {name.Version} {assembly.ManifestModule.ModuleVersionId}");
        }
        var referenced = typeof(ScriptCacheKey).Assembly.GetReferencedAssemblies().ToDictionary(n => n.Name ?? "", StringComparer.Ordinal);
        foreach (var name in CompilerAssemblies)
        {
            var version = referenced.TryGetValue(name, out var reference) ? reference.Version?.ToString() : null;
            parts.Add($"{name} {version} {DescribeFile(name)}");
        }
        return parts;
    }

    /// <summary>
    /// Which build of the compiler assembly the runtime would load: its file's size and modification time.
    /// A stat, not a metadata read, so computing a key neither loads the compiler nor pays for a PE reader;
    /// the referenced assembly version already names the release. Empty when the file cannot be found.
    /// </summary>
    private static string DescribeFile(string assemblyName)
    {
        var path = FindAssemblyFile(assemblyName);
        if (path is null) return "";
        var file = new FileInfo(path);
        return file.Exists ? $"{file.Length} {file.LastWriteTimeUtc.Ticks}" : "";
    }

    private static string? FindAssemblyFile(string assemblyName)
    {
        var fileName = assemblyName + ".dll";
        if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string trusted)
            foreach (var path in trusted.Split(Path.PathSeparator))
                if (string.Equals(Path.GetFileName(path), fileName, StringComparison.OrdinalIgnoreCase))
                    return path;
        var nextToUs = Path.Combine(Path.GetDirectoryName(typeof(ScriptCacheKey).Assembly.Location) ?? AppContext.BaseDirectory, fileName);
        return File.Exists(nextToUs) ? nextToUs : null;
    }

    private static void Append(IncrementalHash hash, string text) => Append(hash, Encoding.UTF8.GetBytes(text));

    private static void Append(IncrementalHash hash, ReadOnlySpan<byte> bytes)
    {
        Span<byte> length = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}
