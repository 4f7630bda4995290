namespace Orchestrator.Recipes;

/// <summary>
/// One stage: a base, a list of steps, and (for images) where the result goes.
/// An image is built by default; a plain stage only when something needs it.
/// </summary>
public sealed record StageRecipe(string Name, bool IsImage, ImageSource Base, EquatableArray<Instruction> Instructions, SourceLocation Location)
{
    /// <summary>Absolute path of the build context, or null for none (then COPY from the context is an error).</summary>
    public string? Context { get; init; }

    /// <summary>
    /// The ignore file of the context when it is not <c>&lt;context&gt;/.dockerignore</c>: an imported Dockerfile's own
    /// <c>&lt;Dockerfile&gt;.dockerignore</c> beside it, which BuildKit reads instead when it exists. Null: the context's.
    /// </summary>
    public string? IgnoreFile { get; init; }

    /// <summary>Platform as <c>os/arch[/variant]</c>, e.g. <c>linux/amd64</c>; null for the default.</summary>
    public string? Platform { get; init; }

    public string? CacheRepo { get; init; }

    /// <summary>
    /// ARG values the stage starts with as if it were built FROM a stage that had them (BuildKit 0.11 passes a stage's
    /// ARG values on to a stage built FROM it). Set for a stage whose base is that stage's image by digest (the
    /// Kubernetes backend's nodes), read from the <c># orchestratorargs=</c> directive; no history entry, unlike ARG.
    /// </summary>
    public EquatableArray<ArgInstruction> InheritedArgs { get; init; } = [];

    /// <summary>The ARG values the stage starts with when its base is not a stage of this build: <see cref="InheritedArgs"/>, or null.</summary>
    public IReadOnlyDictionary<string, string>? StartArgs =>
        InheritedArgs.Count == 0 ? null : InheritedArgs.Where(a => a.Value is not null).ToDictionary(a => a.Name, a => a.Value!, StringComparer.Ordinal);

    public EquatableArray<string> Destinations { get; init; } = [];

    /// <summary>Local outputs: an OCI layout folder or a <c>.tar</c> docker-archive path.</summary>
    public EquatableArray<string> Outputs { get; init; } = [];

    /// <summary>Stages that must be built first without being read (ordering only).</summary>
    public EquatableArray<string> DependsOn { get; init; } = [];

    /// <summary>Where the base was named (the <c>From</c> call or the FROM line); null when not recorded.</summary>
    public SourceLocation? BaseLocation { get; init; }

    /// <summary>Where each destination was declared, for error messages; parallel to <see cref="Destinations"/>.</summary>
    public EquatableArray<SourceLocation> DestinationLocations { get; init; } = [];

    /// <summary>The stage names this stage reads or waits for: its base, COPY --from and RUN bind-mount sources and DependsOn.</summary>
    public IEnumerable<string> StageDependencies()
    {
        if (Base is ImageSource.Stage s) yield return s.Name;
        foreach (var instruction in Instructions)
            foreach (var from in instruction.ReadsFrom.OfType<ImageSource.Stage>())
                yield return from.Name;
        foreach (var d in DependsOn) yield return d;
    }

    public string Kind => IsImage ? "image" : "stage";
}
