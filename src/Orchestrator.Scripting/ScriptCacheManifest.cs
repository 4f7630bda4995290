using System.Text.Json.Serialization;

namespace Orchestrator.Scripting;

/// <summary>
/// <c>manifest.json</c> of a compiled-script cache entry: the emitted files with their hashes (a corrupt
/// entry is detected and replaced), the factory to call, and every input the script was compiled from.
/// </summary>
internal sealed record ScriptCacheManifest(
    int Format,
    string EntryType,
    string EntryMethod,
    ScriptCacheFile Assembly,
    ScriptCacheFile Symbols,
    IReadOnlyList<ScriptCacheFile> Sources,
    IReadOnlyList<ScriptCacheFile> References)
{
    public const int CurrentFormat = 1;
}

/// <summary>A file named in a cache manifest and the SHA-256 of its content.</summary>
internal sealed record ScriptCacheFile(string Path, string Sha256);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(ScriptCacheManifest))]
internal sealed partial class ScriptCacheManifestJson : JsonSerializerContext;
