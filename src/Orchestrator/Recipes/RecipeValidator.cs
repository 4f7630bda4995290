using System.Text.RegularExpressions;
using Orchestrator.Oci;

namespace Orchestrator.Recipes;

/// <summary>Checks a recipe set as a whole and reports every problem at once, each at its source location.</summary>
public static partial class RecipeValidator
{
    public static void ThrowIfInvalid(RecipeSet set, RecipeValidationOptions options)
    {
        var errors = Validate(set, options);
        if (errors.Count > 0) throw new RecipeException(errors);
    }

    public static IReadOnlyList<RecipeError> Validate(RecipeSet set, RecipeValidationOptions options)
    {
        var errors = new List<RecipeError>();
        CheckNames(set, errors);
        foreach (var stage in set.Stages) CheckStage(set, stage, options, errors);
        CheckTargets(set, errors);
        CheckDestinationsUnique(set, errors);
        CheckCycles(set, errors);
        return errors;
    }

    private static void CheckNames(RecipeSet set, List<RecipeError> errors)
    {
        var seen = new Dictionary<string, StageRecipe>(StringComparer.Ordinal);
        foreach (var stage in set.Stages)
        {
            if (!StageName().IsMatch(stage.Name))
                errors.Add(new(stage.Location, $"'{stage.Name}' is not a valid {stage.Kind} name: use lowercase letters, digits, '-', '_', '.' and '/' (starting with a letter or digit)"));
            if (seen.TryGetValue(stage.Name, out var first))
                errors.Add(new(stage.Location, $"{stage.Kind} '{stage.Name}' is declared twice (first at {first.Location}{first.Location.CallerNote}); give each stage its own name"));
            else
                seen[stage.Name] = stage;
        }
    }

    private static void CheckStage(RecipeSet set, StageRecipe stage, RecipeValidationOptions options, List<RecipeError> errors)
    {
        var what = $"{stage.Kind} '{stage.Name}'";
        switch (stage.Base)
        {
            case ImageSource.Registry r:
                CheckReference(r.Reference, stage.Location, $"{what}: base image", errors);
                break;
            case ImageSource.Layout l:
                CheckLayout(l, stage.BaseLocation ?? stage.Location, $"{what}: base image", errors);
                break;
            case ImageSource.Stage s when set.Find(s.Name) is null:
                errors.Add(new(stage.Location, $"{what}: base stage '{s.Name}' is unknown; declare it with Stage(\"{s.Name}\")"));
                break;
        }

        foreach (var instruction in stage.Instructions) CheckInstruction(set, stage, what, instruction, errors);

        foreach (var dependency in stage.DependsOn)
            if (set.Find(dependency) is null)
                errors.Add(new(stage.Location, $"{what}: depends on unknown stage '{dependency}'"));

        if (stage.CacheRepo is { } cacheRepo)
        {
            if (!ImageReference.TryParse(cacheRepo, out var parsed, out var error))
                errors.Add(new(stage.Location with { Member = "CacheRepo" }, $"{what}: cache repo: {error}"));
            else if (parsed.Tag is not null || parsed.Digest is not null)
                errors.Add(new(stage.Location with { Member = "CacheRepo" }, $"{what}: cache repo '{cacheRepo}' must be a repository without tag or digest (e.g. registry.example.com/team/cache)"));
        }

        for (var i = 0; i < stage.Destinations.Count; i++)
        {
            var location = i < stage.DestinationLocations.Count ? stage.DestinationLocations[i] : stage.Location;
            if (!stage.IsImage)
                errors.Add(new(location, $"{what} has a destination but is not an image; declare it with Image(\"{stage.Name}\")"));
            CheckReference(stage.Destinations[i], location, $"{what}: destination", errors);
        }

        if (stage.IsImage && options.Push && stage.Destinations.Count == 0 && stage.Outputs.Count == 0)
            errors.Add(new(stage.Location, $"{what} has no destination: add .Destination(\"registry/repo:tag\") or .Output(\"out/{stage.Name}\"), or build with --no-push"));
    }

    private static void CheckInstruction(RecipeSet set, StageRecipe stage, string what, Instruction instruction, List<RecipeError> errors)
    {
        var at = instruction.Location.IsKnown ? instruction.Location : stage.Location;
        switch (instruction)
        {
            case RunInstruction run when run.Command.IsEmpty:
                errors.Add(new(at, $"{what}: RUN needs a command"));
                break;
            case RunInstruction run:
                CheckMounts(set, stage, what, at, run.Options, errors);
                break;
            case OnbuildInstruction onbuild:
                CheckTrigger(onbuild.Trigger, what, at, errors);
                break;
            case CopyInstruction copy:
                CheckCopy(set, stage, what, at, copy.Sources, copy.Inline, copy.Destination, copy.From, isAdd: false, errors);
                break;
            case AddInstruction add:
                CheckCopy(set, stage, what, at, add.Sources, add.Inline, add.Destination, null, isAdd: true, errors);
                CheckChecksum(add, what, at, errors);
                break;
            case WorkdirInstruction { Path: var path } when string.IsNullOrWhiteSpace(path):
                errors.Add(new(at, $"{what}: WORKDIR needs a path"));
                break;
            case UserInstruction { User: var user } when string.IsNullOrWhiteSpace(user):
                errors.Add(new(at, $"{what}: USER needs a user name or uid"));
                break;
            case ExposeInstruction expose:
                foreach (var port in expose.Ports)
                    if (!ExposedPort.TryExpand(port, out _, out var portError)) errors.Add(new(at, $"{what}: {portError}"));
                break;
            case EnvInstruction env when env.Variables.Any(v => string.IsNullOrWhiteSpace(v.Key) || v.Key.Contains('=')):
                errors.Add(new(at, $"{what}: ENV needs a variable name without '='"));
                break;
            case EntrypointInstruction { Command.IsEmpty: true } or CmdInstruction { Command.IsEmpty: true } when !IsEmptyExecForm(instruction):
                errors.Add(new(at, $"{what}: {instruction.Keyword} needs a command"));
                break;
        }
    }

    // `CMD []` is legal (it clears the inherited command); an empty shell string is not.
    private static bool IsEmptyExecForm(Instruction instruction) =>
        instruction is EntrypointInstruction { Command: { IsShellForm: false, Arguments.Count: 0 } } or CmdInstruction { Command: { IsShellForm: false, Arguments.Count: 0 } };

    private static void CheckCopy(RecipeSet set, StageRecipe stage, string what, SourceLocation at, EquatableArray<string> sources, EquatableArray<InlineFile> inline, string destination, ImageSource? from, bool isAdd, List<RecipeError> errors)
    {
        var keyword = isAdd ? "ADD" : "COPY";
        if (sources.Count + inline.Count == 0 || sources.Any(string.IsNullOrWhiteSpace))
            errors.Add(new(at, $"{what}: {keyword} needs at least one source"));
        foreach (var file in inline.Where(f => f.Name.Length == 0 || f.Name.Contains('/') || f.Name is "." or ".."))
            errors.Add(new(at, $"{what}: {keyword} of inline text needs a file name without '/', not '{file.Name}'"));
        if (string.IsNullOrWhiteSpace(destination))
            errors.Add(new(at, $"{what}: {keyword} needs a destination"));

        switch (from)
        {
            case ImageSource.Stage s when set.Find(s.Name) is null:
                errors.Add(new(at, $"{what}: COPY --from names unknown stage '{s.Name}'"));
                return;
            case ImageSource.Registry r:
                CheckReference(r.Reference, at, $"{what}: COPY --from image", errors);
                return;
            case ImageSource.Layout l:
                CheckLayout(l, at, $"{what}: COPY --from image", errors);
                return;
            case not null:
                return;
        }

        foreach (var source in sources.Where(s => !string.IsNullOrWhiteSpace(s)))
        {
            if (isAdd && IsUrl(source)) continue;
            if (stage.Context is null)
            {
                errors.Add(new(at, $"{what}: {keyword} '{source}' needs a build context; call .Context(\"dir\") on the recipe"));
                return;
            }
            if (EscapesContext(source))
                errors.Add(new(at, $"{what}: {keyword} source '{source}' is outside the context '{stage.Context}'; sources must stay inside the context folder"));
        }
    }

    private static void CheckMounts(RecipeSet set, StageRecipe stage, string what, SourceLocation at, RunOptions options, List<RecipeError> errors)
    {
        var targets = new HashSet<string>(StringComparer.Ordinal);
        void Target(string target, string kind)
        {
            if (string.IsNullOrWhiteSpace(target))
                errors.Add(new(at, $"{what}: RUN {kind} mount needs a target path"));
            else if (!targets.Add(target.TrimEnd('/')))
                errors.Add(new(at, $"{what}: RUN mounts two things at '{target}'; give each mount its own target"));
        }
        foreach (var bind in options.Binds)
        {
            Target(bind.Target, "bind");
            switch (bind.From)
            {
                case null when stage.Context is null:
                    errors.Add(new(at, $"{what}: RUN bind mount of '{bind.Source ?? "."}' reads the build context, but the recipe has none; call .Context(\"dir\") on it or bind from a stage"));
                    break;
                case null when bind.Source is { } source && EscapesContext(source):
                    errors.Add(new(at, $"{what}: RUN bind mount source '{source}' is outside the context '{stage.Context}'; sources must stay inside the context folder"));
                    break;
                case ImageSource.Stage s when set.Find(s.Name) is null:
                    errors.Add(new(at, $"{what}: RUN bind mount from names unknown stage '{s.Name}'"));
                    break;
                case ImageSource.Stage s when s.Name == stage.Name:
                    errors.Add(new(at, $"{what}: RUN bind mount from its own stage '{s.Name}'; bind from an earlier stage"));
                    break;
                case ImageSource.Registry r:
                    CheckReference(r.Reference, at, $"{what}: RUN bind mount from image", errors);
                    break;
                case ImageSource.Layout l:
                    CheckLayout(l, at, $"{what}: RUN bind mount from image", errors);
                    break;
            }
        }
        foreach (var cache in options.CacheMounts)
        {
            if (cache.Mode is { } mode && CacheMount.ParseMode(mode) is null)
                errors.Add(new(at, $"{what}: RUN cache mount at '{cache.Target}': mode must be octal permission bits (\"0755\", \"0700\"), not '{mode}'"));
            if (cache.Uid < 0 || cache.Gid < 0)
                errors.Add(new(at, $"{what}: RUN cache mount at '{cache.Target}': uid and gid must be 0 or more"));
        }
        foreach (var tmpfs in options.TmpfsMounts)
        {
            Target(tmpfs.Target, "tmpfs");
            if (tmpfs.Size is <= 0)
                errors.Add(new(at, $"{what}: RUN tmpfs mount at '{tmpfs.Target}' has size {tmpfs.Size}; give a positive size in bytes or none"));
        }
        for (var i = 0; i < options.SshMounts.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(options.SshMounts[i].Id))
                errors.Add(new(at, $"{what}: RUN ssh mount needs an id (default: \"default\")"));
            Target(options.SshTarget(i), "ssh");
        }
    }

    /// <summary>An ONBUILD trigger is one Dockerfile instruction other than ONBUILD, FROM and MAINTAINER, as Docker allows.</summary>
    private static void CheckTrigger(string trigger, string what, SourceLocation at, List<RecipeError> errors)
    {
        var keyword = (trigger ?? "").TrimStart().Split([' ', '\t'], 2)[0].ToUpperInvariant();
        if (keyword.Length == 0)
            errors.Add(new(at, $"{what}: ONBUILD needs an instruction, e.g. OnBuild(\"COPY . /app/src\")"));
        else if (keyword is "ONBUILD" or "FROM" or "MAINTAINER")
            errors.Add(new(at, $"{what}: ONBUILD cannot trigger {keyword}; use another instruction"));
        else if (!TriggerKeywords.Contains(keyword))
            errors.Add(new(at, $"{what}: ONBUILD triggers unknown instruction '{keyword}'; write a Dockerfile instruction such as RUN, COPY or ENV"));
    }

    private static readonly HashSet<string> TriggerKeywords =
        ["RUN", "CMD", "ENTRYPOINT", "COPY", "ADD", "ENV", "ARG", "LABEL", "WORKDIR", "USER", "EXPOSE", "VOLUME", "HEALTHCHECK", "SHELL", "STOPSIGNAL"];

    internal static bool IsUrl(string source) =>
        source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when a context-relative path climbs above the context root (Docker treats a leading '/' as the root).</summary>
    internal static bool EscapesContext(string source)
    {
        var depth = 0;
        foreach (var part in source.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "..")
            {
                if (--depth < 0) return true;
            }
            else if (part != ".")
            {
                depth++;
            }
        }
        return false;
    }

    private static void CheckReference(string reference, SourceLocation at, string what, List<RecipeError> errors)
    {
        if (!ImageReference.TryParse(reference, out _, out var error))
            errors.Add(new(at, $"{what}: {error}"));
    }

    /// <summary>
    /// Only the written form is checked here: the folder may be produced by an earlier image of the same
    /// build (its <c>.Output</c>), so whether it exists is the builder's question when the stage starts.
    /// </summary>
    private static void CheckLayout(ImageSource.Layout layout, SourceLocation at, string what, List<RecipeError> errors)
    {
        if (layout.Path.Length == 0)
            errors.Add(new(at, $"{what}: '{layout}' names no folder; write oci:PATH[:TAG], e.g. oci:out/base:latest"));
        if (layout.Tag is { } tag && !LayoutRefName().IsMatch(tag))
            errors.Add(new(at, $"{what}: '{tag}' is not a valid OCI layout tag (org.opencontainers.image.ref.name): use letters, digits and '-', '.', '_', ':', '@', '+', '/' between them, e.g. oci:{layout.Path}:latest"));
    }

    // Docker's --checksum takes a digest; this builder verifies SHA-256 (the digest Docker documents).
    private static void CheckChecksum(AddInstruction add, string what, SourceLocation at, List<RecipeError> errors)
    {
        if (add.Checksum is not { } checksum) return;
        if (!Sha256Digest().IsMatch(checksum))
            errors.Add(new(at, $"{what}: ADD checksum '{checksum}' is not a SHA-256 digest; write it as sha256:<64 lowercase hex digits>"));
        if (add.Sources.Any(s => !IsUrl(s)))
            errors.Add(new(at, $"{what}: ADD --checksum applies to URL sources only; drop it or download the file with a http(s):// source"));
    }

    private static void CheckTargets(RecipeSet set, List<RecipeError> errors)
    {
        foreach (var group in set.Targets.GroupBy(t => t.Name).Where(g => g.Count() > 1))
            errors.Add(new(group.Last().Location, $"target '{group.Key}' is declared twice"));
        foreach (var target in set.Targets)
        {
            if (set.Find(target.Name) is not null)
                errors.Add(new(target.Location, $"target '{target.Name}' has the name of a stage; give the target another name"));
            foreach (var name in target.Stages.Where(n => set.Find(n) is null))
                errors.Add(new(target.Location, $"target '{target.Name}' names unknown stage '{name}'"));
        }
    }

    private static void CheckDestinationsUnique(RecipeSet set, List<RecipeError> errors)
    {
        var owners = new Dictionary<string, (StageRecipe Stage, SourceLocation Location)>(StringComparer.Ordinal);
        foreach (var stage in set.Stages)
        {
            for (var i = 0; i < stage.Destinations.Count; i++)
            {
                if (!ImageReference.TryParse(stage.Destinations[i], out var reference, out _)) continue;
                var location = i < stage.DestinationLocations.Count ? stage.DestinationLocations[i] : stage.Location;
                var key = reference.ToString();
                if (owners.TryGetValue(key, out var owner) && owner.Stage.Name != stage.Name)
                    errors.Add(new(location, $"images '{owner.Stage.Name}' and '{stage.Name}' both push to '{key}' (first at {owner.Location}{owner.Location.CallerNote}); give each image its own destination"));
                else
                    owners.TryAdd(key, (stage, location));
            }
        }
    }

    private static void CheckCycles(RecipeSet set, List<RecipeError> errors)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 = on the path, 2 = done
        var path = new List<string>();
        var reported = new HashSet<string>(StringComparer.Ordinal);

        void Visit(StageRecipe stage)
        {
            state[stage.Name] = 1;
            path.Add(stage.Name);
            foreach (var dependency in stage.StageDependencies().Distinct())
            {
                if (set.Find(dependency) is not { } next) continue;
                state.TryGetValue(next.Name, out var s);
                if (s == 1)
                {
                    var cycle = path.Skip(path.IndexOf(next.Name)).ToList();
                    var key = string.Join(",", cycle.Order(StringComparer.Ordinal));
                    if (reported.Add(key))
                        errors.Add(new(next.Location, $"stages form a cycle: {string.Join(" -> ", cycle.Append(next.Name))}; a stage cannot depend on itself"));
                }
                else if (s == 0)
                {
                    Visit(next);
                }
            }
            path.RemoveAt(path.Count - 1);
            state[stage.Name] = 2;
        }

        foreach (var stage in set.Stages)
            if (!state.ContainsKey(stage.Name)) Visit(stage);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._/-]*$")]
    private static partial Regex StageName();

    // The ref.name grammar of the OCI image layout spec: components of alphanumerics joined by separators.
    [GeneratedRegex("^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$")]
    private static partial Regex LayoutRefName();

    [GeneratedRegex("^sha256:[0-9a-f]{64}$")]
    private static partial Regex Sha256Digest();
}
