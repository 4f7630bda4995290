namespace Orchestrator.Layers;

/// <summary>How a layer blob is compressed.</summary>
public enum LayerCompression
{
    None,
    Gzip,
    Zstd,
}
