using Orchestrator.Recipes;

namespace Orchestrator.Caching;

/// <summary>What a step reads besides its own fields: the content a COPY or ADD copies or a RUN bind-mounts, and for ADD of URLs what stands for each download.</summary>
public sealed record StepInputs
{
    public static StepInputs None { get; } = new();

    /// <summary>The selected files: from the context (COPY, ADD's local sources) or another image (COPY --from).</summary>
    public SelectionDigest? Content { get; init; }

    /// <summary>ADD: a validator for each URL source (by the URL as written) that has no <c>--checksum</c>.</summary>
    public EquatableArray<KeyValuePair<string, UrlValidator>> Urls { get; init; } = [];

    /// <summary>RUN: the content each bind mount mounts, in the order of <see cref="RunOptions.Binds"/>.</summary>
    public EquatableArray<SelectionDigest> Binds { get; init; } = [];
}
