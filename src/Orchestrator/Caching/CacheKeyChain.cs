using Orchestrator.Dockerfiles;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Recipes;

namespace Orchestrator.Caching;

/// <summary>
/// Computes the key chains of a build's stages from their inputs, before anything runs: each stage's root (its
/// base's identity, or the last key of the stage it is built FROM), then one key per step with
/// <see cref="StepKeyFormula"/>. Content of the build context is hashed here (memoised); what exists only elsewhere
/// (base digests, files copied from other images, URL validators) comes from <see cref="ICacheKeyInputs"/>. A step
/// whose input is not known yet is pending, and so is everything that chains to it; the steps before it keep
/// their keys. One instance serves one build, one call at a time: it reads each context's .dockerignore once.
/// </summary>
public sealed class CacheKeyChain(ICacheKeyInputs inputs, CopySourceHasher hasher)
{
    // The stages computed so far by ComputeAsync: a COPY --from of one of them knows its key.
    private readonly Dictionary<string, StageCacheKeys> _computed = new(StringComparer.Ordinal);

    private readonly Dictionary<string, DockerignoreMatcher> _dockerignores = new(StringComparer.Ordinal);

    /// <summary>
    /// The chains of <paramref name="stagesInBuildOrder"/> (every stage after the stages it is built FROM, as a
    /// build graph orders its nodes), by stage name. Registry and layout bases are resolved concurrently first; a
    /// stage whose base cannot be resolved has its keys pending on that, with the error as the reason.
    /// Saves the file-hash memos before it returns.
    /// </summary>
    /// <param name="defaultPlatform">The platform of stages that name none.</param>
    public async Task<IReadOnlyDictionary<string, StageCacheKeys>> ComputeAsync(IReadOnlyList<StageRecipe> stagesInBuildOrder, Platform defaultPlatform, CancellationToken cancellationToken)
    {
        var platforms = stagesInBuildOrder.ToDictionary(s => s.Name, s => s.Platform is null ? defaultPlatform : Platform.Parse(s.Platform), StringComparer.Ordinal);
        var bases = stagesInBuildOrder
            .Where(s => s.Base is ImageSource.Registry or ImageSource.Layout)
            .Select(s => (s.Base, Platform: platforms[s.Name]))
            .Distinct()
            .ToDictionary(b => b, b => ResolveAsync(b.Base, b.Platform, cancellationToken));
        await Task.WhenAll(bases.Values).ConfigureAwait(false);

        var results = _computed;
        foreach (var stage in stagesInBuildOrder)
        {
            var platform = platforms[stage.Name];
            CacheKeyRoot? root = null;
            PendingKeyReason? pending = null;
            switch (stage.Base)
            {
                case ImageSource.Scratch:
                    root = new CacheKeyRoot.Scratch(platform);
                    break;
                case ImageSource.Stage upstream:
                    if (!results.TryGetValue(upstream.Name, out var upstreamKeys))
                        throw new ArgumentException($"stage '{stage.Name}' comes before '{upstream.Name}', the stage it is built FROM; pass the stages in build order", nameof(stagesInBuildOrder));
                    if (upstreamKeys.LastKey is { } last) root = new CacheKeyRoot.Stage(upstream.Name, last);
                    else pending = upstreamKeys.Pending;
                    break;
                default:
                    var (digest, failure) = await bases[(stage.Base, platform)].ConfigureAwait(false);
                    if (digest is { } manifest) root = new CacheKeyRoot.Image(manifest, platform);
                    else pending = failure;
                    break;
            }
            var inherited = stage.Base is ImageSource.Stage from ? results[from.Name].Args : stage.StartArgs;
            results[stage.Name] = await ComputeStageAsync(stage, root, pending, platform, cancellationToken, inherited).ConfigureAwait(false);
        }
        await hasher.Files.SaveMemosAsync(cancellationToken).ConfigureAwait(false);
        return results;
    }

    /// <summary>A base's manifest digest, or — when it cannot be resolved now (a registry out of reach) — why its stage's keys wait.</summary>
    private async Task<(Digest? Digest, PendingKeyReason? Failure)> ResolveAsync(ImageSource source, Platform platform, CancellationToken cancellationToken)
    {
        try
        {
            return (await inputs.ResolveBaseAsync(source, platform, cancellationToken).ConfigureAwait(false), null);
        }
        catch (Exception error) when (error is OrchestratorException or HttpRequestException or IOException)
        {
            return (null, new PendingKeyReason(source, $"base {source} cannot be resolved now: {error.Message}"));
        }
    }

    /// <summary>
    /// The chain of one stage from a given root (null with <paramref name="rootPending"/> when its base stage's key is
    /// not known yet). Does not save the memos (<see cref="FileContentHasher.SaveMemosAsync"/>).
    /// </summary>
    /// <param name="inheritedArgs">For a stage built FROM another stage: that stage's ARG values, which its RUN steps see too.</param>
    public async Task<StageCacheKeys> ComputeStageAsync(StageRecipe stage, CacheKeyRoot? root, PendingKeyReason? rootPending, Platform platform, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? inheritedArgs = null)
    {
        if (root is null && rootPending is null) throw new ArgumentException("a stage needs a root or the reason it has none", nameof(rootPending));
        var args = new Dictionary<string, string>(inheritedArgs ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        var env = new List<KeyValuePair<string, string>>();
        var parent = root?.Key;
        var pending = root is null ? rootPending : null;
        var steps = new List<StepCacheKey>(stage.Instructions.Count);
        for (var index = 0; index < stage.Instructions.Count; index++)
        {
            var instruction = stage.Instructions[index];
            if (pending is null)
            {
                var (stepInputs, waitsFor) = await InputsAsync(stage, instruction, platform, cancellationToken).ConfigureAwait(false);
                if (waitsFor is null)
                {
                    var scope = instruction is RunInstruction ? new StepScope(args.ToEquatableArray(), env.ToEquatableArray()) : StepScope.None;
                    parent = StepKeyFormula.Compute(parent!, instruction, scope, stepInputs);
                }
                pending = waitsFor;
            }
            steps.Add(new StepCacheKey(index, instruction, pending is null ? parent : null, pending));

            // What later RUN steps see, as the executor tracks it: an ARG without a value keeps an earlier value.
            if (instruction is ArgInstruction { Value: { } value } arg) args[arg.Name] = value;
            if (instruction is EnvInstruction set)
                foreach (var variable in set.Variables)
                {
                    var at = env.FindIndex(e => e.Key == variable.Key);
                    if (at >= 0) env[at] = variable;
                    else env.Add(variable);
                }
        }
        return new StageCacheKeys(stage.Name, root, root is null ? rootPending : null, steps.ToEquatableArray()) { Args = args };
    }

    private async Task<(StepInputs Inputs, PendingKeyReason? WaitsFor)> InputsAsync(StageRecipe stage, Instruction instruction, Platform platform, CancellationToken cancellationToken)
    {
        switch (instruction)
        {
            case CopyInstruction { From: null, Sources.Count: 0 }:
                return (StepInputs.None, null); // here-documents only: their content is in the instruction
            case CopyInstruction { From: null } copy:
                return (new StepInputs { Content = await ContextContentAsync(stage, instruction, copy.Sources, copy.Chmod, cancellationToken).ConfigureAwait(false) }, null);
            case CopyInstruction { From: { } from } copy:
                var request = new CopyFromRequest(stage.Name, from, copy.Sources, copy.Chmod, platform)
                {
                    UpstreamKey = from is ImageSource.Stage upstream && _computed.TryGetValue(upstream.Name, out var upstreamKeys) ? upstreamKeys.LastKey : null,
                    CacheRepo = stage.CacheRepo,
                };
                var copied = await inputs.CopiedContentAsync(request, cancellationToken).ConfigureAwait(false);
                return copied is null
                    ? (StepInputs.None, new PendingKeyReason(from, $"COPY --from={from}: known once {(from is ImageSource.Stage s ? $"stage '{s.Name}' is built" : $"image {from} is read")}"))
                    : (new StepInputs { Content = copied }, null);
            case AddInstruction add:
                var local = add.Sources.Where(s => !RecipeValidator.IsUrl(s)).ToList();
                var content = local.Count == 0 ? null : await ContextContentAsync(stage, instruction, local, add.Chmod, cancellationToken).ConfigureAwait(false);
                var validators = new List<KeyValuePair<string, UrlValidator>>();
                if (add.Checksum is null)
                    foreach (var url in add.Sources.Where(RecipeValidator.IsUrl))
                    {
                        if (await inputs.ValidateUrlAsync(url, cancellationToken).ConfigureAwait(false) is not { } validator)
                            return (StepInputs.None, new PendingKeyReason(null, $"ADD {StepKeyFormula.ShownUrl(url)}: known once the server is asked (no --checksum)"));
                        validators.Add(KeyValuePair.Create(url, validator));
                    }
                return (new StepInputs { Content = content, Urls = validators.ToEquatableArray() }, null);
            case RunInstruction { Options.Binds.Count: > 0 } run:
                var mounted = new List<SelectionDigest>();
                foreach (var bind in run.Options.Binds)
                {
                    var source = string.IsNullOrEmpty(bind.Source) ? "." : bind.Source;
                    if (bind.From is null)
                    {
                        mounted.Add(await ContextContentAsync(stage, instruction, [source], null, cancellationToken).ConfigureAwait(false));
                        continue;
                    }
                    var bound = new CopyFromRequest(stage.Name, bind.From, [source == "." ? "/" : source], null, platform)
                    {
                        UpstreamKey = bind.From is ImageSource.Stage boundStage && _computed.TryGetValue(boundStage.Name, out var boundKeys) ? boundKeys.LastKey : null,
                        CacheRepo = stage.CacheRepo,
                    };
                    if (await inputs.CopiedContentAsync(bound, cancellationToken).ConfigureAwait(false) is not { } boundContent)
                        return (StepInputs.None, new PendingKeyReason(bind.From, $"RUN --mount from={bind.From}: known once {(bind.From is ImageSource.Stage bs ? $"stage '{bs.Name}' is built" : $"image {bind.From} is read")}"));
                    mounted.Add(boundContent);
                }
                return (new StepInputs { Binds = mounted.ToEquatableArray() }, null);
            default:
                return (StepInputs.None, null);
        }
    }

    private async Task<SelectionDigest> ContextContentAsync(StageRecipe stage, Instruction instruction, IReadOnlyList<string> sources, string? chmod, CancellationToken cancellationToken)
    {
        var where = (instruction.Location.IsKnown ? instruction.Location + ": " : "") + stage.Name + ": ";
        var context = stage.Context ?? throw new OrchestratorException($"{where}{instruction.Keyword} reads the build context, but the recipe has none; call .Context(\"dir\") on it");
        try
        {
            var ignoreKey = context + "\n" + stage.IgnoreFile;
            if (!_dockerignores.TryGetValue(ignoreKey, out var ignore))
                _dockerignores[ignoreKey] = ignore = await DockerignoreMatcher.LoadAsync(context, stage.IgnoreFile, cancellationToken).ConfigureAwait(false);
            return await hasher.HashFolderAsync(context, sources, chmod, ignore.Patterns.Count == 0 ? null : ignore.IsExcluded, cancellationToken).ConfigureAwait(false);
        }
        catch (OrchestratorException error)
        {
            throw new OrchestratorException(where + error.Message, error);
        }
    }
}
