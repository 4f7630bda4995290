using System.Text.Json.Serialization;

namespace Orchestrator.Oci.Documents;

/// <summary>
/// Compile-time JSON metadata for the documents, so the first manifest read of a process does not
/// pay for reflection (hundreds of milliseconds of start-up on a small machine).
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ImageManifest))]
[JsonSerializable(typeof(ImageIndex))]
[JsonSerializable(typeof(Descriptor))]
[JsonSerializable(typeof(ImageConfig))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class OciJsonContext : JsonSerializerContext;
