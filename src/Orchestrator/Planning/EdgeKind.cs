namespace Orchestrator.Planning;

/// <summary>Why one stage needs another.</summary>
public enum EdgeKind
{
    /// <summary>The stage is built FROM the other stage.</summary>
    Base,

    /// <summary>The stage copies files out of the other stage (<c>COPY --from</c>).</summary>
    Copy,

    /// <summary>Ordering only (<c>DependsOn</c>).</summary>
    Order,
}
