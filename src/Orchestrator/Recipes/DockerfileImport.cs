using Orchestrator.Dockerfiles;

namespace Orchestrator.Recipes;

/// <summary>
/// Turns a parsed Dockerfile into builders of a <see cref="RecipeBook"/>: the target stage becomes the
/// image, the other stages become stages named <c>image/stage</c>, and stage references are renamed.
/// </summary>
internal static class DockerfileImport
{
    /// <param name="dockerfilePath">The Dockerfile's path: a <c>&lt;Dockerfile&gt;.dockerignore</c> beside it replaces the context's ignore file.</param>
    public static RecipeBuilder Register(RecipeBook book, DockerfileDocument document, string imageName, string? target, string context, SourceLocation location, string? dockerfilePath = null)
    {
        if (document.Stages.Count == 0)
            throw new RecipeException([new RecipeError(location, "the Dockerfile has no FROM instruction")]);
        var targetStage = target is null ? document.Stages[^1] : document.Stages.FirstOrDefault(s => s.Name == target);
        if (targetStage is null)
        {
            var known = string.Join(", ", document.Stages.Select(s => s.Name));
            throw new RecipeException([new RecipeError(location, $"target stage '{target}' not found in the Dockerfile; its stages are: {known}")]);
        }

        var names = document.Stages.ToDictionary(s => s.Name, s => ReferenceEquals(s, targetStage) ? imageName : imageName + "/" + s.Name);
        RecipeBuilder? image = null;
        // Like BuildKit, only the stages the target needs are taken: a later stage (or one nothing uses) is never
        // evaluated, so a build arg only it uses may stay unset (`--target=first` with `COPY x $file` in the last stage).
        var needed = NeededBy(document, targetStage);
        // BuildKit reads <Dockerfile>.dockerignore beside the Dockerfile instead of the context's, when there is one.
        var ignoreFile = dockerfilePath is null ? null : dockerfilePath + ".dockerignore";
        if (ignoreFile is not null && !File.Exists(ignoreFile)) ignoreFile = null;
        foreach (var stage in document.Stages.Where(s => needed.Contains(s.Name)))
        {
            var isTarget = ReferenceEquals(stage, targetStage);
            var builder = book.Register(new RecipeBuilder(names[stage.Name], isTarget, stage.Location, book));
            builder.SetBase(Rename(stage.Base, names), stage.Location);
            builder.SetContext(context);
            builder.SetIgnoreFile(ignoreFile);
            builder.SetPlatform(stage.Platform);
            builder.SetInheritedArgs(stage.InheritedArgs);
            builder.AddInstructions(stage.Instructions.Select(i => Rename(i, names)));
            if (isTarget) image = builder;
        }
        return image!;
    }

    /// <summary>The target and every stage it reaches through FROM and COPY --from.</summary>
    internal static HashSet<string> NeededBy(DockerfileDocument document, StageRecipe target)
    {
        var byName = document.Stages.ToDictionary(s => s.Name);
        var needed = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<StageRecipe>([target]);
        while (pending.TryPop(out var stage))
        {
            if (!needed.Add(stage.Name)) continue;
            var sources = stage.Instructions.SelectMany(i => i.ReadsFrom).Prepend(stage.Base);
            foreach (var source in sources.OfType<ImageSource.Stage>())
                if (byName.TryGetValue(source.Name, out var used)) pending.Push(used);
        }
        return needed;
    }

    private static ImageSource Rename(ImageSource source, IReadOnlyDictionary<string, string> names) =>
        source is ImageSource.Stage s && names.TryGetValue(s.Name, out var renamed) ? new ImageSource.Stage(renamed) : source;

    private static Instruction Rename(Instruction instruction, IReadOnlyDictionary<string, string> names) => instruction switch
    {
        CopyInstruction { From: ImageSource.Stage stage } copy when names.ContainsKey(stage.Name) => copy with { From = Rename(stage, names), FromAsWritten = stage.Name },
        RunInstruction { Options.Binds.Count: > 0 } run => run with
        {
            Options = run.Options with { Binds = run.Options.Binds.Select(b => b.From is null ? b : b with { From = Rename(b.From, names) }).ToEquatableArray() },
        },
        _ => instruction,
    };
}
