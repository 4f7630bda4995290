namespace Orchestrator.Recipes;

/// <summary>What a stage starts from, or what a <c>COPY --from</c> reads: a registry image, an OCI layout, another stage, or nothing.</summary>
public abstract record ImageSource
{
    private ImageSource() { }

    /// <summary>An image in a registry, by reference as written, e.g. <c>debian:bookworm-slim</c>.</summary>
    public sealed record Registry(string Reference) : ImageSource
    {
        public override string ToString() => Reference;
    }

    /// <summary>
    /// An image in a local OCI image layout folder (what <c>skopeo copy … oci:PATH:TAG</c> and
    /// <c>.Output("folder")</c> write), written <c>oci:PATH[:TAG]</c>. <paramref name="Path"/> is absolute;
    /// <paramref name="Tag"/> is the <c>org.opencontainers.image.ref.name</c> of its index.json entry,
    /// or null when the layout holds exactly one image.
    /// </summary>
    public sealed record Layout(string Path, string? Tag) : ImageSource
    {
        public const string Prefix = "oci:";

        /// <summary>True for text in the <c>oci:PATH[:TAG]</c> form.</summary>
        public static bool IsLayoutText(string text) => text.StartsWith(Prefix, StringComparison.Ordinal);

        /// <summary>
        /// Splits <c>oci:PATH[:TAG]</c> at the first colon after the prefix, as skopeo does (so PATH holds no
        /// colon); a relative PATH is resolved against <paramref name="baseDirectory"/>.
        /// </summary>
        public static Layout Parse(string text, string baseDirectory)
        {
            var rest = IsLayoutText(text) ? text[Prefix.Length..] : text;
            var colon = rest.IndexOf(':');
            var path = colon < 0 ? rest : rest[..colon];
            var tag = colon < 0 ? null : rest[(colon + 1)..];
            // An empty path stays empty so the validator can report it at the recipe's line.
            return new Layout(path.Length == 0 ? "" : System.IO.Path.GetFullPath(path, baseDirectory), tag);
        }

        public override string ToString() => Prefix + Path + (Tag is null ? "" : ":" + Tag);
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
