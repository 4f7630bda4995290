namespace Orchestrator.Layers;

/// <summary>
/// How a tar stream is compressed. Layers are written plain, gzip or zstd (the OCI layer media types);
/// bzip2 and xz are only ever read: Docker unpacks them in <c>ADD</c> (and in layers it loads).
/// </summary>
public enum LayerCompression
{
    None,
    Gzip,
    Zstd,
    Bzip2,
    Xz,
}
