namespace Orchestrator.Recipes;

/// <summary>What a stage starts from, or what a <c>COPY --from</c> reads: a registry image, another stage, or nothing.</summary>
public abstract record ImageSource
{
    private ImageSource() { }

    /// <summary>An image in a registry (or an OCI layout), by reference as written, e.g. <c>debian:bookworm-slim</c>.</summary>
    public sealed record Registry(string Reference) : ImageSource
    {
        public override string ToString() => Reference;
    }

    /// <summary>The result of another stage of the same recipe set, by stage name.</summary>
    public sealed record Stage(string Name) : ImageSource
    {
        public override string ToString() => Name;
    }

    /// <summary>The empty image.</summary>
    public sealed record Scratch : ImageSource
    {
        public static Scratch Instance { get; } = new();

        public override string ToString() => "scratch";
    }
}
