using System.Globalization;
using Orchestrator.Caching;
using Orchestrator.Execution.Local;
using Orchestrator.Layers;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Images;
using Orchestrator.Oci.Layout;
using Orchestrator.Oci.Registry;
using Orchestrator.Oci.Storage;
using Orchestrator.Planning;
using Orchestrator.Recipes;

using System.Runtime.Versioning;

namespace Orchestrator.Execution;

/// <summary>
/// Builds a stage on this machine with no daemon: the base comes from a registry, an earlier stage
/// or scratch; its layers are extracted once into the layer store; RUN steps execute in the sandbox
/// on the stacked layer folders and the overlay upper folder becomes the step's layer (and, moved
/// into the layer store, the folder later steps stack); COPY/ADD stage files into a folder that
/// becomes a layer; metadata steps only change the config. Where overlay is not allowed, RUN steps
/// use the chroot fallback on one flattened root folder per stage instead (<see cref="SandboxChoice"/>).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class LocalStageExecutor : IStageExecutor, IDisposable
{
    private const int FailureTailLines = 20;

    private readonly LocalBuildOptions _options;
    private readonly Lazy<Task<ISandbox>> _sandbox;
    private readonly LayerStore _layers;
    private readonly LocalBlobStore _blobs;
    private readonly BuildBlobs _sources;
    private readonly RegistryClientPool _registries;
    private readonly BaseResolver _bases;
    private readonly LayerWriter _writer;
    private readonly StepCache _cache;
    private readonly CacheDirectoryLock _cacheLock;

    public LocalStageExecutor(LocalBuildOptions options, ISandbox? sandbox = null)
    {
        _cacheLock = CacheDirectoryLock.ForBuild(options.CacheDirectory);
        _options = options;
        _sandbox = new Lazy<Task<ISandbox>>(() => sandbox is not null ? Task.FromResult(sandbox) : ChooseSandboxAsync(options));
        _layers = new LayerStore(options.CacheDirectory);
        _blobs = new LocalBlobStore(options.CacheDirectory);
        _registries = new RegistryClientPool(options.Registry);
        _bases = new BaseResolver(_registries, options.ResolvedBases);
        _writer = new LayerWriter(options.Layers);
        _sources = new BuildBlobs(_blobs);
        _cache = new StepCache(options, _sources, _registries);
    }

    public Task CompleteAsync(IBuildObserver observer, CancellationToken cancellationToken) => _cache.CompleteAsync(observer, cancellationToken);

    public void Dispose()
    {
        _cache.Dispose();
        _registries.Dispose();
        _cacheLock.Dispose();
    }

    /// <summary>The sandbox of this build; <see cref="SandboxChoice.Auto"/> probes the host once, when the first stage with a RUN to run starts.</summary>
    private static async Task<ISandbox> ChooseSandboxAsync(LocalBuildOptions options)
    {
        SignalResettingEnv.ProbeInBackground();
        switch (options.Sandbox)
        {
            case SandboxChoice.Overlay:
                return new OverlaySandbox();
            case SandboxChoice.Chroot:
                return new ChrootSandbox();
            default:
                Directory.CreateDirectory(options.TemporaryDirectory);
                // Not cancellable on purpose: the answer is shared by every stage of the build.
                return await SandboxSelector.SelectAsync(options.TemporaryDirectory, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Builds the stage; when a layer of one of its cache hits cannot be fetched (the cache repo lost or damaged it),
    /// that entry is dropped with a warning and the stage is built again, so a bad cache entry never fails a build.
    /// </summary>
    public async Task<StageResult> ExecuteAsync(StageJob job, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return (await BuildAsync(job, cachedOnly: false, cancellationToken).ConfigureAwait(false))!;
            }
            catch (Exception error) when (attempt < 3 && BlobFetchException.Find(error) is { } failed && _cache.Forget(failed.Blob.Digest))
            {
                job.Observer.OnWarning($"{job.Node.Name}: cached layer {failed.Blob.Digest} cannot be read from {failed.Origin}: {failed.InnerException?.Message ?? failed.Message}; the stage is built again without that entry");
            }
        }
    }

    /// <summary>
    /// The stage's image when every step is a cache hit (the local cache or the stage's cache repo), assembled and
    /// published from the cached layers without running anything; null, having run nothing, when a step misses.
    /// Another backend uses it to leave such nodes out of its dispatch; the keys are computed once, here.
    /// </summary>
    public async Task<StageResult?> TryAssembleFromCacheAsync(StageJob job, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await BuildAsync(job, cachedOnly: true, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (attempt < 3 && BlobFetchException.Find(error) is { } failed && _cache.Forget(failed.Blob.Digest))
            {
                job.Observer.OnWarning($"{job.Node.Name}: cached layer {failed.Blob.Digest} cannot be read from {failed.Origin}: {failed.InnerException?.Message ?? failed.Message}; looking the stage up again without that entry");
            }
        }
    }

    private async Task<StageResult?> BuildAsync(StageJob job, bool cachedOnly, CancellationToken cancellationToken)
    {
        var stage = job.Node.Stage;
        var work = Directory.CreateDirectory(Path.Combine(_options.TemporaryDirectory, $"stage-{Guid.NewGuid():N}")).FullName;
        try
        {
            var platform = stage.Platform ?? _options.Platform;
            var image = await ResolveAsync(stage.Base, platform, job, cancellationToken).ConfigureAwait(false);
            // The base's ONBUILD triggers become the stage's first steps (keyed, cached and run like the others).
            var (withTriggers, baseConfig) = OnbuildTriggers.Apply(stage, image.Config);
            if (!ReferenceEquals(withTriggers, stage))
            {
                job.Log($"base {stage.Base} has {withTriggers.Instructions.Count - stage.Instructions.Count} ONBUILD trigger step(s); they run first");
                stage = withTriggers;
                job = job with { Node = job.Node with { Stage = stage } };
                image = image with { Config = baseConfig };
            }
            var inputs = new LocalCacheKeyInputs(_bases, job.Inputs, _cache, job.Node.Name, (upstream, ct) => ExtractAsync(upstream.Layers, ct));
            var targetPlatform = platform is null ? Platform.Host : Platform.Parse(platform);
            var keys = await _cache.ComputeKeysAsync(job, inputs, targetPlatform, cancellationToken).ConfigureAwait(false);
            var hits = await _cache.LookupAsync(stage, keys, warning => job.Observer.OnWarning($"{job.Node.Name}: {warning}"), cancellationToken).ConfigureAwait(false);
            if (cachedOnly && hits.Any(h => h is null)) return null;
            // A RUN step will run: the host's sandbox is probed now, alongside the base's extraction, not when it starts.
            if (stage.Instructions.Where((instruction, i) => hits[i] is null).Any(instruction => instruction is RunInstruction)) _ = _sandbox.Value;
            var inheritedArgs = stage.Base is ImageSource.Stage from && job.Inputs.TryGetValue(from.Name, out var parent) && parent is LocalStageResult built ? built.Args : stage.StartArgs;
            var build = new StageBuild(this, job, work, image, inheritedArgs);
            var count = stage.Instructions.Count;
            var cached = 0;
            for (var i = 0; i < count; i++)
            {
                var instruction = stage.Instructions[i];
                var key = keys?.Steps[i].Key;
                try
                {
                    if (hits[i] is { } hit)
                    {
                        job.Observer.OnStepCached(stage.Name, i + 1, count, InstructionText.OneLine(instruction));
                        build.Replay(instruction, hit);
                        cached++;
                        continue;
                    }
                    job.Observer.OnStepStarted(stage.Name, i + 1, count, InstructionText.OneLine(instruction));
                    var layersBefore = build.LayerCount;
                    await build.ApplyAsync(instruction, cancellationToken).ConfigureAwait(false);
                    _cache.Record(job, i, key, build.LayerCount > layersBefore ? build.TopLayer : null, targetPlatform);
                }
                catch (OrchestratorException error) when (instruction.Location.IsKnown && !error.Message.StartsWith(instruction.Location.ToString(), StringComparison.Ordinal))
                {
                    throw new OrchestratorException($"{instruction.Location}: {instruction.Keyword}{instruction.Location.CallerNote}: {error.Message}", error);
                }
            }

            _cache.Remember(stage, keys, targetPlatform);
            var manifest = await build.CommitAsync(cancellationToken).ConfigureAwait(false);
            var publisher = new ImagePublisher(_registries, _sources);
            var destinations = _options.Push ? stage.Destinations : [];
            var published = await publisher.PublishAsync(stage.Name, manifest, destinations, stage.Outputs, cancellationToken).ConfigureAwait(false);
            return new LocalStageResult(stage.Name, build.Image, manifest)
            {
                ManifestDigest = manifest.Digest.ToString(),
                Published = published,
                Key = keys?.LastKey,
                Args = build.Args,
                CachedSteps = cached,
                FromCache = count > 0 && cached == count,
            };
        }
        finally
        {
            FolderDeleter.Delete(work);
        }
    }

    private async Task<LocalImage> ResolveAsync(ImageSource source, string? platform, StageJob job, CancellationToken cancellationToken)
    {
        switch (source)
        {
            case ImageSource.Scratch:
                return LocalImage.Scratch(_options.CreatedAt);
            case ImageSource.Stage s when job.Inputs.TryGetValue(s.Name, out var input) && input is LocalStageResult built:
                return built.Image;
            case ImageSource.Stage s:
                throw new OrchestratorException($"stage '{s.Name}' has no local result; it must be built by the local builder first");
            case ImageSource.Registry r:
                return await PullAsync(ImageReference.Parse(r.Reference), platform, job, cancellationToken).ConfigureAwait(false);
            case ImageSource.Layout l:
                try
                {
                    return await ReadLayoutAsync(l, platform, job, cancellationToken).ConfigureAwait(false);
                }
                catch (OrchestratorException error) when ((job.Node.Stage.BaseLocation ?? job.Node.Stage.Location).IsKnown)
                {
                    // A layout is a path on this machine: point at the recipe line that named it.
                    var stage = job.Node.Stage;
                    var at = stage.BaseLocation ?? stage.Location;
                    throw new OrchestratorException($"{at}: {stage.Kind} '{stage.Name}'{at.CallerNote}: base {l}: {error.Message}", error);
                }
            default:
                throw new InvalidOperationException("unknown image source " + source);
        }
    }

    /// <summary>
    /// A registry image, lazily: its manifest and config now, its layers recorded as remote blobs that are fetched and
    /// extracted only once a step reads the filesystem (a build whose every step hits never downloads the base).
    /// </summary>
    private async Task<LocalImage> PullAsync(ImageReference reference, string? platform, StageJob job, CancellationToken cancellationToken)
    {
        var document = await _bases.ResolveAsync(reference, platform is null ? null : Platform.Parse(platform), cancellationToken).ConfigureAwait(false);
        job.Log($"base {reference} is {document.Digest}");
        var manifest = document.AsManifest();
        var origin = new RegistryBlobSource(_registries.For(reference), reference.Repository);
        foreach (var blob in manifest.Blobs) _sources.AddOrigin(blob, origin);
        if (_options.ResolvedBases.Config(manifest.Config.Digest) is { } known && !File.Exists(_blobs.PathOf(manifest.Config.Digest)))
            await _blobs.PutAsync(manifest.Config, new MemoryStream(known, writable: false), cancellationToken).ConfigureAwait(false);
        ImageConfig config;
        await using (var stream = await _sources.OpenReadAsync(manifest.Config, cancellationToken).ConfigureAwait(false))
            config = await ImageConfig.ReadAsync(stream, manifest, reference.ToString(), cancellationToken).ConfigureAwait(false);
        return Materialise(manifest, config);
    }

    /// <summary>
    /// An image in an OCI layout: its blobs are copied (verified) into the same blob store a registry pull
    /// fills, so its layers go through the same layer store and an image built on it can be pushed or
    /// written out like any other.
    /// </summary>
    private async Task<LocalImage> ReadLayoutAsync(ImageSource.Layout source, string? platform, StageJob job, CancellationToken cancellationToken)
    {
        job.Log($"reading {source}");
        var image = await LayoutImageReader.CopyAsync(source.Path, source.Tag, _blobs, platform is null ? null : Platform.Parse(platform), cancellationToken).ConfigureAwait(false);
        return Materialise(image.ImageManifest, image.Config);
    }

    /// <summary>An image as stacked layer folders (keyed by diffID); they are extracted once something reads them (<see cref="ExtractAsync"/>).</summary>
    private LocalImage Materialise(ImageManifest manifest, ImageConfig config)
    {
        var diffIds = config.RootFs.DiffIds;
        var layers = manifest.Layers.Select((blob, i) => new LocalLayer(blob, diffIds[i], _layers.PathFor(diffIds[i]))).ToList();
        // Every build whose image has a layer uses it, extracted or not (pruning keeps what builds still stand on).
        foreach (var layer in layers) _layers.MarkUsed(layer.DiffId);
        return new LocalImage(config with { History = config.History ?? [] }, layers);
    }

    /// <summary>
    /// Extracts the layers that have no folder yet — a base's, a cache hit's (both are lazy: a folder is made only once
    /// a step or a dependent stage reads the filesystem), fetching their blobs first where they are remote; on a warm
    /// machine the folders are there already.
    /// </summary>
    private async Task ExtractAsync(IReadOnlyList<LocalLayer> layers, CancellationToken cancellationToken)
    {
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            if (_layers.Contains(layer.DiffId)) continue;
            await _layers.GetOrExtractAsync(layer.DiffId, ct => _sources.OpenReadAsync(layer.Blob, ct), layers.Take(i).Select(l => l.DiffId).ToList(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stores a written layer blob and its extracted folder; returns it as a layer of the image.</summary>
    private async Task<LocalLayer> AddLayerAsync(LayerBlob blob, IReadOnlyList<LocalLayer> below, CancellationToken cancellationToken)
    {
        var descriptor = new Descriptor(blob.MediaType, blob.Digest, blob.Size);
        await using (var content = File.OpenRead(blob.Path))
            await _blobs.PutAsync(descriptor, content, cancellationToken).ConfigureAwait(false);
        File.Delete(blob.Path);
        var folder = await _layers.GetOrExtractAsync(blob.DiffId, ct => _blobs.OpenReadAsync(descriptor, ct), below.Select(l => l.DiffId).ToList(), cancellationToken).ConfigureAwait(false);
        return new LocalLayer(descriptor, blob.DiffId, folder);
    }

    /// <summary>
    /// Stores a RUN layer's blob and moves the upper folder it was written from into the layer store as
    /// that layer's folder: the upper folder already holds exactly the layer's content in the store's form,
    /// so extracting the blob again would only repeat work.
    /// </summary>
    private async Task<LocalLayer> AdoptLayerAsync(LayerBlob blob, string upper, CancellationToken cancellationToken)
    {
        var descriptor = new Descriptor(blob.MediaType, blob.Digest, blob.Size);
        await using (var content = File.OpenRead(blob.Path))
            await _blobs.PutAsync(descriptor, content, cancellationToken).ConfigureAwait(false);
        File.Delete(blob.Path);
        return new LocalLayer(descriptor, blob.DiffId, _layers.Adopt(blob.DiffId, upper));
    }

    /// <summary>The state of one stage while its steps run.</summary>
    private sealed class StageBuild(LocalStageExecutor executor, StageJob job, string work, LocalImage baseImage, IReadOnlyDictionary<string, string>? inheritedArgs)
    {
        // A stage built FROM another stage starts with that stage's ARG values (BuildKit 0.11 keeps them in the state's env).
        private readonly Dictionary<string, string> _args = new(inheritedArgs ?? new Dictionary<string, string>(), StringComparer.Ordinal);

        public IReadOnlyDictionary<string, string> Args => new Dictionary<string, string>(_args, StringComparer.Ordinal);
        private readonly List<LocalLayer> _layers = [.. baseImage.Layers];
        private readonly List<HistoryEntry> _history = [.. baseImage.Config.History ?? []];
        private ConfigInstructions.StageState _state = new(ConfigInstructions.WithDefaultPath(baseImage.Config));
        private int _step;
        private FlattenedRootfs? _rootfs;
        // Layers cache hits added after the chroot fallback's root was flattened: applied to it before the next step needs it.
        private readonly List<LocalLayer> _notInRootfs = [];

        public LocalImage Image => new(_state.Config with { History = _history, RootFs = new RootFs("layers", _layers.Select(l => l.DiffId).ToList()) }, _layers);

        private StageRecipe Stage => job.Node.Stage;

        private LocalBuildOptions Options => executor._options;

        private LayerStackView View => new(_layers.Select(l => l.Folder).Reverse().ToList());

        public int LayerCount => _layers.Count;

        public LocalLayer TopLayer => _layers[^1];

        /// <summary>
        /// Applies a step found in the cache without running it: the config changes exactly as a run changes it (the
        /// same config code, the same history entry) and the cached layer, if any, is stacked without extracting it.
        /// </summary>
        public void Replay(Instruction instruction, CachedStep cached)
        {
            _step++;
            switch (instruction)
            {
                case ArgInstruction arg:
                    if (arg.Value is not null) _args[arg.Name] = arg.Value;
                    break;
                case RunInstruction or CopyInstruction or AddInstruction:
                    break;
                default:
                    _state = ConfigInstructions.Apply(_state, instruction);
                    break;
            }
            if (cached.HasLayer)
            {
                var layer = new LocalLayer(cached.Layer!, cached.DiffId!.Value, executor._layers.PathFor(cached.DiffId.Value));
                _layers.Add(layer);
                if (_rootfs is not null) _notInRootfs.Add(layer);
            }
            AddHistory(instruction, emptyLayer: !cached.HasLayer);
        }

        public async Task ApplyAsync(Instruction instruction, CancellationToken cancellationToken)
        {
            _step++;
            if (instruction is WorkdirInstruction or RunInstruction or CopyInstruction or AddInstruction)
                await ExtractCachedLayersAsync(cancellationToken).ConfigureAwait(false);
            switch (instruction)
            {
                case ArgInstruction arg:
                    if (arg.Value is not null) _args[arg.Name] = arg.Value;
                    AddHistory(instruction, emptyLayer: true);
                    break;
                case WorkdirInstruction:
                    _state = ConfigInstructions.Apply(_state, instruction);
                    await EnsureWorkdirAsync(instruction, cancellationToken).ConfigureAwait(false);
                    break;
                case RunInstruction run:
                    await RunAsync(run, cancellationToken).ConfigureAwait(false);
                    break;
                case CopyInstruction copy:
                    await CopyAsync(copy, cancellationToken).ConfigureAwait(false);
                    break;
                case AddInstruction add:
                    await AddAsync(add, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    _state = ConfigInstructions.Apply(_state, instruction);
                    AddHistory(instruction, emptyLayer: true);
                    break;
            }
        }

        public async Task<ManifestDocument> CommitAsync(CancellationToken cancellationToken)
        {
            var config = Image.Config with { Created = Options.CreatedAt };
            var configBytes = CanonicalJson.Serialize(config);
            var configDescriptor = new Descriptor(MediaTypes.OciConfig, Digest.Sha256(configBytes), configBytes.LongLength);
            using (var content = new MemoryStream(configBytes, writable: false))
                await executor._blobs.PutAsync(configDescriptor, content, cancellationToken).ConfigureAwait(false);
            var layers = _layers.Select(l => l.Blob with { MediaType = ToOci(l.Blob.MediaType) }).ToList();
            return ManifestDocument.From(new ImageManifest(MediaTypes.OciManifest, configDescriptor, layers));
        }

        private static string ToOci(string mediaType) => mediaType switch
        {
            MediaTypes.DockerLayerGzip => MediaTypes.OciLayerGzip,
            _ => mediaType,
        };

        private async Task RunAsync(RunInstruction run, CancellationToken cancellationToken)
        {
            var sandbox = await executor._sandbox.Value.ConfigureAwait(false);
            IReadOnlyList<string> root = sandbox.StacksLayers
                ? _layers.Select(l => l.Folder).ToList()
                : [(await FlattenedRootAsync(cancellationToken).ConfigureAwait(false)).Folder];
            var upper = Path.Combine(work, $"upper-{_step}");
            Directory.CreateDirectory(upper);
            var argv = run.Command.ToArgv(_state.Shell);
            var tail = new Queue<string>();
            var environment = new Dictionary<string, string>(ConfigInstructions.ToDictionary(ConfigInstructions.RunEnvironment(_state, _args)), StringComparer.Ordinal);
            var ssh = ResolveSshAgents(run.Options);
            // As in BuildKit: the first forwarded agent is the step's SSH_AUTH_SOCK.
            if (ssh.Count > 0) environment["SSH_AUTH_SOCK"] = ssh[0].Target;
            var request = new SandboxRequest(root, upper, argv.ToList())
            {
                Environment = environment,
                WorkingDirectory = InImage(_state.WorkingDir),
                User = _state.Container.User,
                Network = run.Options.Network,
                Secrets = ResolveSecrets(run.Options),
                CacheMounts = run.Options.CacheMounts.Select(m => new SandboxBind(CacheMountFolder(m), InImage(ConfigInstructions.ResolveWorkdir(_state.WorkingDir, m.Target)))).ToList(),
                BindMounts = await PrepareBindMountsAsync(run.Options, cancellationToken).ConfigureAwait(false),
                TmpfsMounts = run.Options.TmpfsMounts.Select(m => new SandboxTmpfs(InImage(ConfigInstructions.ResolveWorkdir(_state.WorkingDir, m.Target)), m.Size)).ToList(),
                SshSockets = ssh,
            };

            var exitCode = await sandbox.RunAsync(request, line =>
            {
                lock (tail)
                {
                    tail.Enqueue(line.Text);
                    if (tail.Count > FailureTailLines) tail.Dequeue();
                }
                job.Log(line.Text);
            }, cancellationToken).ConfigureAwait(false);

            if (exitCode != 0)
            {
                string lastLines;
                lock (tail) lastLines = string.Join(Environment.NewLine, tail.Select(l => "  | " + l));
                throw new OrchestratorException($"RUN {run.Command} exited with code {exitCode}" + (lastLines.Length > 0 ? $"; last lines of output:{Environment.NewLine}{lastLines}" : ""));
            }
            KeepRuntimeMountPoints(upper);
            await CommitRunLayerAsync(run, upper, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>
        /// As in BuildKit, a RUN on an image that has no <c>/dev</c>, <c>/proc</c> or <c>/sys</c> leaves them in its layer as
        /// empty 0755 folders (runc makes its mount points in the root filesystem). The chroot fallback's root gets them too,
        /// so it keeps holding exactly what the layers hold.
        /// </summary>
        private void KeepRuntimeMountPoints(string upper)
        {
            foreach (var name in new[] { "dev", "proc", "sys" })
            {
                if (View.Resolve(name) is not null || Libc.LinkStatus(Path.Combine(upper, name)) is not null) continue;
                foreach (var root in _rootfs is null ? [upper] : new[] { upper, _rootfs.Folder })
                {
                    var folder = Path.Combine(root, name);
                    if (Libc.LinkStatus(folder) is not null) continue;
                    Directory.CreateDirectory(folder);
                    Libc.Chmod(folder, 0x1ED); // 0755
                }
            }
        }

        /// <summary>Makes the folders of layers that cache hits stacked, before a step reads or writes the filesystem.</summary>
        private async Task ExtractCachedLayersAsync(CancellationToken cancellationToken)
        {
            await executor.ExtractAsync(_layers, cancellationToken).ConfigureAwait(false);
            if (_rootfs is null) return;
            foreach (var layer in _notInRootfs) await ApplyToRootAsync(_rootfs, layer, cancellationToken).ConfigureAwait(false);
            _notInRootfs.Clear();
        }

        /// <summary>The chroot fallback's root folder: every layer so far, flattened the first time a RUN needs it.</summary>
        private async Task<FlattenedRootfs> FlattenedRootAsync(CancellationToken cancellationToken)
        {
            if (_rootfs is not null) return _rootfs;
            if (executor._options.Sandbox == SandboxChoice.Auto) job.Log("overlayfs is not available in a user namespace here: RUN steps use the chroot fallback (one flattened root folder, changes found by a metadata walk)");
            var rootfs = new FlattenedRootfs(Path.Combine(work, "rootfs"));
            foreach (var layer in _layers) await ApplyToRootAsync(rootfs, layer, cancellationToken).ConfigureAwait(false);
            return _rootfs = rootfs;
        }

        private async Task ApplyToRootAsync(FlattenedRootfs rootfs, LocalLayer layer, CancellationToken cancellationToken)
        {
            var blob = await executor._sources.OpenReadAsync(layer.Blob, cancellationToken).ConfigureAwait(false);
            await using (blob.ConfigureAwait(false))
                await rootfs.ApplyAsync(blob, layer.DiffId.ToString(), cancellationToken).ConfigureAwait(false);
        }

        private IReadOnlyList<SandboxBind> ResolveSecrets(RunOptions options)
        {
            var binds = new List<SandboxBind>();
            foreach (var secret in options.Secrets)
            {
                if (Options.Secrets.TryGetValue(secret.Id, out var file) && File.Exists(file))
                    binds.Add(new SandboxBind(file, InImage(ConfigInstructions.ResolveWorkdir(_state.WorkingDir, secret.EffectiveTarget))));
                else if (secret.Required)
                    throw new OrchestratorException($"secret '{secret.Id}' is required but was not given; pass --secret id={secret.Id},src=PATH");
            }
            return binds;
        }

        /// <summary>
        /// The files each bind mount shows, as a fresh copy per step under the stage's work folder (so a read-write
        /// mount's writes are discarded with it): from the context, the selected files after <c>.dockerignore</c>, as COPY
        /// selects them; from another stage or an image, the source read the way COPY --from reads it.
        /// </summary>
        private async Task<IReadOnlyList<SandboxBind>> PrepareBindMountsAsync(RunOptions options, CancellationToken cancellationToken)
        {
            var binds = new List<SandboxBind>();
            for (var i = 0; i < options.Binds.Count; i++)
            {
                var bind = options.Binds[i];
                var source = LayerPath.Normalize((bind.Source ?? "").Trim('/'), $"bind mount source '{bind.Source}'");
                var target = InImage(ConfigInstructions.ResolveWorkdir(_state.WorkingDir, bind.Target));
                string host;
                if (bind.From is null)
                {
                    var context = Stage.Context ?? throw new OrchestratorException($"RUN --mount=type=bind of '{bind.Source ?? "."}' reads the build context, but the recipe has none; call .Context(\"dir\") on it or bind from a stage");
                    var ignore = Dockerfiles.DockerignoreMatcher.Load(context, Stage.IgnoreFile);
                    if (source.Length > 0 && ignore.IsExcluded(source))
                        throw new OrchestratorException($"RUN --mount=type=bind: source '{bind.Source}' is excluded by .dockerignore; remove it from .dockerignore or bind another path");
                    var staging = Directory.CreateDirectory(Path.Combine(work, $"bind-{_step}-{i}")).FullName;
                    var sourcePath = Path.Combine(context, source);
                    if (!File.Exists(sourcePath) && !Directory.Exists(sourcePath))
                        throw new OrchestratorException($"RUN --mount=type=bind: source '{bind.Source}' does not exist in the context '{context}'; check the path (it is relative to the context)");
                    var entries = new CopyPlanner(context, ignore.Patterns.Count == 0 ? null : ignore.IsExcluded)
                        .Plan([source.Length == 0 ? "." : source], "/", "/", _ => true, p => p);
                    PlaceEntries(entries, staging, null);
                    host = Directory.Exists(sourcePath) ? staging : Path.Combine(staging, Path.GetFileName(source));
                }
                else
                {
                    var image = bind.From switch
                    {
                        ImageSource.Stage s when job.Inputs.TryGetValue(s.Name, out var input) && input is LocalStageResult built => built.Image,
                        ImageSource.Registry r => await executor.PullAsync(ImageReference.Parse(r.Reference), Stage.Platform ?? Options.Platform, job, cancellationToken).ConfigureAwait(false),
                        ImageSource.Layout l => await executor.ReadLayoutAsync(l, Stage.Platform ?? Options.Platform, job, cancellationToken).ConfigureAwait(false),
                        _ => throw new OrchestratorException($"RUN --mount=type=bind,from={bind.From} has no local result to read"),
                    };
                    var exported = await ExportExtractedAsync(image, [source.Length == 0 ? "/" : source], cancellationToken).ConfigureAwait(false);
                    // Each export of the same step gets a folder of its own.
                    var own = Path.Combine(work, $"bind-{_step}-{i}");
                    Directory.Move(exported, own);
                    host = source.Length == 0 ? own : Path.Combine(own, source);
                }
                binds.Add(new SandboxBind(host, target) { ReadWrite = bind.ReadWrite });
            }
            return binds;
        }

        /// <summary>The agent sockets the step mounts (given with <c>--ssh</c>); an optional one that was not given is left out, as BuildKit does.</summary>
        private List<SandboxBind> ResolveSshAgents(RunOptions options)
        {
            var sockets = new List<SandboxBind>();
            for (var i = 0; i < options.SshMounts.Count; i++)
            {
                var mount = options.SshMounts[i];
                if (!Options.SshAgents.TryGetValue(mount.Id, out var socket))
                {
                    if (mount.Required)
                        throw new OrchestratorException($"ssh agent '{mount.Id}' is required but was not given; pass --ssh {(mount.Id == "default" ? "default" : mount.Id + "=SOCKET")} (the agent's socket, e.g. $SSH_AUTH_SOCK)");
                    continue;
                }
                var full = Path.GetFullPath(socket);
                var real = File.Exists(full) || Directory.Exists(full) ? new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full : full;
                if (Libc.LinkStatus(real) is not { } status || FileKind.Of(status) != FileKind.Socket)
                    throw new OrchestratorException($"ssh agent '{mount.Id}': '{socket}' is not a socket; pass an SSH agent's socket (start ssh-agent and give --ssh {mount.Id}=$SSH_AUTH_SOCK); key files are not forwarded");
                sockets.Add(new SandboxBind(real, InImage(ConfigInstructions.ResolveWorkdir(_state.WorkingDir, options.SshTarget(i)))));
            }
            return sockets;
        }

        private string CacheMountFolder(CacheMount mount)
        {
            var key = Digest.Sha256(System.Text.Encoding.UTF8.GetBytes((mount.Id ?? Stage.Name + ":" + mount.Target))).Short;
            new CacheUsageLog(Options.CacheDirectory).Touch(CacheUsageLog.CacheMount, key);
            var folder = Path.Combine(Options.CacheDirectory, "cache-mounts", key);
            return Directory.Exists(folder) ? folder : MakeCacheMountFolder(mount, folder);
        }

        /// <summary>
        /// A cache mount's folder, the first time: with the mount's owner and mode (BuildKit's defaults 0:0 and 0755),
        /// made aside and moved in, so a build running beside this one never takes a folder whose owner is not set yet.
        /// </summary>
        private static string MakeCacheMountFolder(CacheMount mount, string folder)
        {
            var parent = Directory.CreateDirectory(Path.GetDirectoryName(folder)!).FullName;
            var fresh = Directory.CreateDirectory(Path.Combine(parent, $".new-{Path.GetFileName(folder)}-{Guid.NewGuid():N}")).FullName;
            try
            {
                File.SetUnixFileMode(fresh, mount.Mode is { } mode ? CacheMount.ParseMode(mode)!.Value : (UnixFileMode)0x1ED);
                var (uid, gid) = (mount.Uid ?? 0, mount.Gid ?? 0);
                if ((uid, gid) != (0, 0) && Libc.TryLchown(fresh, (uint)uid, (uint)gid) is var errno and not 0)
                    throw new OrchestratorException($"cache mount at {mount.Target}: its folder cannot be given to {uid}:{gid} (errno {errno}); build as root, or as a user with a subordinate id range (/etc/subuid), as for a non-root USER");
                // Another build may have made it first: its folder is the one.
                FolderPlacement.MoveIntoPlace(fresh, folder);
                return folder;
            }
            catch
            {
                if (Directory.Exists(fresh)) Directory.Delete(fresh);
                throw;
            }
        }

        private async Task EnsureWorkdirAsync(Instruction instruction, CancellationToken cancellationToken)
        {
            // The folder a process reaches at WORKDIR: `WORKDIR /linked/sub` with /linked -> /real makes /real/sub.
            var path = InImage(_state.WorkingDir);
            if (path == "/" || View.Resolve(path.TrimStart('/')) is not null)
            {
                AddHistory(instruction, emptyLayer: true);
                return;
            }
            var staging = Directory.CreateDirectory(Path.Combine(work, $"workdir-{_step}")).FullName;
            Directory.CreateDirectory(Path.Combine(staging, path.TrimStart('/')));
            // Like Docker: only the missing folders are made, owned by the current USER; existing parents stay as they are.
            var owner = ResolveOwner(_state.Container.User) ?? (0, 0);
            await CommitStagingAsync(instruction, staging, new StagedOwnership(owner, new HashSet<string>(StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal)), cancellationToken).ConfigureAwait(false);
        }

        private (int Uid, int Gid)? ResolveOwner(string? user)
        {
            return string.IsNullOrEmpty(user) ? (0, 0) : ImageUser.FileOwner(user, View);
        }

        private async Task CopyAsync(CopyInstruction copy, CancellationToken cancellationToken)
        {
            var staging = Directory.CreateDirectory(Path.Combine(work, $"copy-{_step}")).FullName;
            var entries = new List<CopyEntry>();
            if (copy.Sources.Count > 0) entries.AddRange(await PlanSourcesAsync(copy, cancellationToken).ConfigureAwait(false));
            entries.AddRange(PlanInline(copy.Inline, copy.Destination));
            var placed = PlaceEntries(entries, staging, copy.Chmod);
            var owner = copy.Chown is null ? (0, 0) : ResolveOwner(copy.Chown)!.Value;
            await CommitStagingAsync(copy, staging, new StagedOwnership(owner, placed, new HashSet<string>(StringComparer.Ordinal)), cancellationToken).ConfigureAwait(false);
        }

        private async Task<IReadOnlyList<CopyEntry>> PlanSourcesAsync(CopyInstruction copy, CancellationToken cancellationToken)
        {
            string sourceRoot;
            Func<string, bool>? ignored = null;
            switch (copy.From)
            {
                case null:
                    sourceRoot = Stage.Context ?? throw new OrchestratorException("COPY needs a build context");
                    ignored = Dockerfiles.DockerignoreMatcher.Load(sourceRoot, Stage.IgnoreFile).IsExcluded;
                    break;
                case ImageSource.Stage s when job.Inputs.TryGetValue(s.Name, out var input) && input is LocalStageResult built:
                    sourceRoot = await ExportExtractedAsync(built.Image, copy.Sources, cancellationToken).ConfigureAwait(false);
                    break;
                case ImageSource.Registry r:
                    sourceRoot = await ExportExtractedAsync(await executor.PullAsync(ImageReference.Parse(r.Reference), Stage.Platform ?? Options.Platform, job, cancellationToken).ConfigureAwait(false), copy.Sources, cancellationToken).ConfigureAwait(false);
                    break;
                case ImageSource.Layout l:
                    sourceRoot = await ExportExtractedAsync(await executor.ReadLayoutAsync(l, Stage.Platform ?? Options.Platform, job, cancellationToken).ConfigureAwait(false), copy.Sources, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    throw new OrchestratorException($"COPY --from={copy.From} has no local result to read");
            }

            return new CopyPlanner(sourceRoot, ignored).Plan(copy.Sources.Select(s => copy.From is null ? s : s.TrimStart('/')).ToList(), copy.Destination, _state.WorkingDir, IsDirectoryInImage, InImage);
        }

        /// <summary>
        /// Here-document files: written beside the staging folder as BuildKit makes them (0664; --chmod replaces that when
        /// the entries are placed), then planned like any source, so the same destination rules apply.
        /// </summary>
        private IReadOnlyList<CopyEntry> PlanInline(EquatableArray<InlineFile> inline, string destination)
        {
            if (inline.Count == 0) return [];
            var folder = Directory.CreateDirectory(Path.Combine(work, $"inline-{_step}")).FullName;
            foreach (var file in inline)
            {
                var path = Path.Combine(folder, file.Name);
                File.WriteAllText(path, file.Content);
                File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("664", 8));
            }
            return new CopyPlanner(folder).Plan(inline.Select(f => f.Name).ToList(), destination, _state.WorkingDir, IsDirectoryInImage, InImage);
        }

        private async Task AddAsync(AddInstruction add, CancellationToken cancellationToken)
        {
            var staging = Directory.CreateDirectory(Path.Combine(work, $"add-{_step}")).FullName;
            var context = Stage.Context;
            var local = add.Sources.Where(s => !RecipeValidator.IsUrl(s)).ToList();
            var urls = add.Sources.Where(RecipeValidator.IsUrl).ToList();
            // Here-documents are plain files: never unpacked, never fetched.
            var placed = PlaceEntries(PlanInline(add.Inline, add.Destination), staging, add.Chmod);
            var destination = InImage(ConfigInstructions.ResolveWorkdir(_state.WorkingDir, add.Destination));
            var intoFolder = add.Destination.EndsWith('/') || add.Sources.Count + add.Inline.Count > 1;
            var extracted = new HashSet<string>(StringComparer.Ordinal);
            var implied = new HashSet<string>(StringComparer.Ordinal);

            foreach (var url in urls)
            {
                // Like Docker: into a folder (dest ending in '/', several sources, or an existing folder) under the URL's file name.
                var target = intoFolder || IsDirectoryInImage(destination) ? Path.Combine(destination, UrlFileName(url)) : destination;
                await AddUrlAsync(url, add.Checksum, add.Chmod, Path.Combine(staging, target.TrimStart('/')), cancellationToken).ConfigureAwait(false);
                placed.Add(target.TrimStart('/'));
            }

            if (local.Count > 0)
            {
                if (context is null) throw new OrchestratorException("ADD needs a build context");
                var ignored = Dockerfiles.DockerignoreMatcher.Load(context, Stage.IgnoreFile).IsExcluded;
                var entries = new CopyPlanner(context, ignored).Plan(local, add.Destination, _state.WorkingDir, IsDirectoryInImage, InImage);
                // Like Docker: only a source that is itself a local archive is unpacked; archives inside a source folder are copied as they are.
                var archives = entries.Where(e => e.IsSource && !e.IsDirectory && ArchiveDetector.IsArchive(e.Source)).ToList();
                placed.UnionWith(PlaceEntries(entries.Except(archives).ToList(), staging, add.Chmod));
                foreach (var archive in archives)
                {
                    // Docker extracts a local archive into the destination folder (never renaming it).
                    var folder = Path.Combine(staging, destination.TrimStart('/'));
                    Directory.CreateDirectory(folder);
                    var before = StagedPaths(staging);
                    await using (var stream = File.OpenRead(archive.Source))
                        await new LayerExtractor(new LayerExtractionOptions { Whiteouts = WhiteoutMode.Apply, Label = archive.Source }).ExtractAsync(stream, folder, cancellationToken).ConfigureAwait(false);
                    var prefix = destination.Trim('/');
                    var named = (await ArchiveDetector.ListEntriesAsync(archive.Source, cancellationToken).ConfigureAwait(false))
                        .Select(n => prefix.Length == 0 ? n : prefix + "/" + n).ToHashSet(StringComparer.Ordinal);
                    var made = StagedPaths(staging).Except(before).ToList();
                    extracted.UnionWith(made.Where(named.Contains));
                    implied.UnionWith(made.Where(p => !named.Contains(p)));
                }
            }
            var owner = add.Chown is null ? (0, 0) : ResolveOwner(add.Chown)!.Value;
            await CommitStagingAsync(add, staging, new StagedOwnership(owner, placed, extracted) { ImpliedByArchives = implied }, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>The last segment of the URL's path, decoded (query and fragment never count); BuildKit's name when there is none.</summary>
        private static string UrlFileName(string url)
        {
            var name = Uri.UnescapeDataString(new Uri(url).AbsolutePath.TrimEnd('/').Split('/')[^1]);
            return name.Length == 0 || name == "." || name == ".." ? "__unnamed__" : name;
        }

        /// <summary>
        /// Downloads <paramref name="url"/> beside the staging folder, checks the checksum, and only then moves
        /// the file to <paramref name="target"/>: a failed download or a wrong checksum leaves nothing staged.
        /// The file gets mode 0600 (or --chmod) and the server's Last-Modified as its time, as Docker and buildah do.
        /// </summary>
        private async Task AddUrlAsync(string url, string? checksum, string? chmod, string target, CancellationToken cancellationToken)
        {
            var shown = ShowUrl(url);
            var download = Path.Combine(work, $"download-{_step}-{Guid.NewGuid():N}");
            try
            {
                DateTimeOffset? lastModified;
                Digest actual;
                try
                {
                    using var http = new HttpClient();
                    using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                    if (!response.IsSuccessStatusCode)
                        throw new OrchestratorException($"ADD {shown}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}; check the URL (and that the server is reachable from this machine)");
                    lastModified = response.Content.Headers.LastModified;
                    await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                    await using var file = File.Create(download);
                    await using var digesting = new DigestingStream(file, leaveOpen: true);
                    await body.CopyToAsync(digesting, cancellationToken).ConfigureAwait(false);
                    actual = digesting.GetDigest();
                }
                catch (Exception error) when (error is HttpRequestException || (error is TaskCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    throw new OrchestratorException($"ADD {shown}: the download failed: {error.Message}; check the URL and the network (proxy variables are honoured)", error);
                }
                if (checksum is not null && actual.ToString() != checksum)
                    throw new OrchestratorException($"ADD {shown}: checksum mismatch: expected {checksum}, got {actual}; nothing was added. Fix the checksum if the file changed on purpose");

                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(download, target, overwrite: true);
                File.SetUnixFileMode(target, chmod is null ? UnixFileMode.UserRead | UnixFileMode.UserWrite : (UnixFileMode)Convert.ToInt32(chmod, 8));
                if (lastModified is { } modified) File.SetLastWriteTimeUtc(target, modified.UtcDateTime);
            }
            finally
            {
                File.Delete(download);
            }
        }

        /// <summary>The URL as messages may show it: credentials in it (user:token@) are never printed.</summary>
        private static string ShowUrl(string url)
        {
            var uri = new Uri(url);
            return uri.UserInfo.Length == 0 ? url : new UriBuilder(uri) { UserName = "***", Password = "" }.Uri.ToString();
        }

        /// <summary>The image's layers extracted first (they may be lazy: a base's, a cache hit's), then <see cref="ExportSources"/>.</summary>
        private async Task<string> ExportExtractedAsync(LocalImage image, IEnumerable<string> sources, CancellationToken cancellationToken)
        {
            await executor.ExtractAsync(image.Layers, cancellationToken).ConfigureAwait(false);
            return ExportSources(image, sources);
        }

        /// <summary>
        /// Copies what <c>COPY --from</c> reads out of another image into a plain folder, at each source's own path.
        /// A source is read the way that image's processes see it, as Docker's builder does: symlinks on the way and a
        /// symlink named as the source are followed inside that image's root (a link to <c>../usr/lib/os-release</c>
        /// gives the file's content under the link's name); links inside a copied folder stay links. A wildcard
        /// source exports the folder its literal part reaches, and every match that is a symlink is then followed too.
        /// </summary>
        private string ExportSources(LocalImage image, IEnumerable<string> sources)
        {
            var root = Directory.CreateDirectory(Path.Combine(work, $"from-{_step}")).FullName;
            var view = new LayerStackView(image.FoldersTopFirst);
            var exported = new HashSet<string>(StringComparer.Ordinal);
            foreach (var source in sources)
            {
                var parts = source.Split('/', StringSplitOptions.RemoveEmptyEntries);
                var literal = string.Join('/', parts.TakeWhile(p => !CopyPlanner.HasWildcard(p)));
                ExportFollowed(image, view, literal, root, source, exported);
                if (literal.Length == string.Join('/', parts).Length) continue;
                foreach (var match in new CopyPlanner(root).MatchWildcards(source))
                {
                    if (ImagePathResolver.ReadLink(Path.Combine(root, match)) is null) continue;
                    File.Delete(Path.Combine(root, match));
                    ExportFollowed(image, view, match, root, source, exported, replacingLink: true);
                }
            }
            return root;
        }

        /// <param name="exported">Paths exported whole so far: a folder made only to hold an earlier source is not one of them.</param>
        /// <param name="replacingLink">The path is a link inside an exported folder that a wildcard matched: it is followed all the same.</param>
        private static void ExportFollowed(LocalImage image, LayerStackView view, string relative, string root, string source, HashSet<string> exported, bool replacingLink = false)
        {
            if (!replacingLink && (exported.Contains("") || exported.Contains(relative) || exported.Any(e => relative.StartsWith(e + "/", StringComparison.Ordinal)))) return;
            exported.Add(relative);
            if (relative.Length == 0)
            {
                StageTreeExporter.Export(image, "/", root);
                return;
            }
            var target = Path.Combine(root, relative);
            // Each parent was exported as a real folder or not at all: a symlink there would lead out of the export folder.
            var parent = root;
            foreach (var part in LayerPath.Parent(relative).Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                parent = Path.Combine(parent, part);
                if (ImagePathResolver.ReadLink(parent) is not null)
                    throw new OrchestratorException($"COPY --from: '{source}' goes through a symlink that an earlier source of the same COPY copied as a link; copy it in a COPY instruction of its own");
            }
            if (Libc.LinkStatus(target) is { } existing && !FileKind.IsDirectory(existing)) File.Delete(target);
            Directory.CreateDirectory(parent);
            if (!StageTreeExporter.Export(image, "/" + view.ResolveLinks(relative), target))
                throw new OrchestratorException($"COPY --from: '{source}' does not exist in the source image");
        }

        private bool IsDirectoryInImage(string path) => View.Follow(path) is { } host && Directory.Exists(host);

        /// <summary>The absolute image path a process in this stage reaches at <paramref name="path"/>: the image's symlinks followed inside its root.</summary>
        private string InImage(string path) => "/" + View.ResolveLinks(path);

        /// <summary>Places planned entries into the staging folder at their image paths; returns those paths (relative).</summary>
        private static HashSet<string> PlaceEntries(IReadOnlyList<CopyEntry> entries, string staging, string? chmod)
        {
            UnixFileMode? mode = chmod is null ? null : (UnixFileMode)Convert.ToInt32(chmod, 8);
            var placed = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in entries)
            {
                placed.Add(entry.Destination.Trim('/'));
                var target = Path.Combine(staging, entry.Destination.TrimStart('/'));
                if (entry.IsDirectory && entry.IsSource)
                {
                    // A source folder only receives its contents: the folder itself keeps the image's metadata, or is new (0755).
                    placed.Remove(entry.Destination.Trim('/'));
                    Directory.CreateDirectory(target);
                    continue;
                }
                if (entry.IsDirectory)
                {
                    Directory.CreateDirectory(target);
                    File.SetUnixFileMode(target, mode ?? File.GetUnixFileMode(entry.Source));
                    continue;
                }
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                var info = new FileInfo(entry.Source);
                if (info.LinkTarget is { } link)
                {
                    if (File.Exists(target) || Directory.Exists(target)) File.Delete(target);
                    File.CreateSymbolicLink(target, link);
                }
                else
                {
                    File.Copy(entry.Source, target, overwrite: true);
                    File.SetUnixFileMode(target, mode ?? File.GetUnixFileMode(entry.Source));
                }
            }
            return placed;
        }

        /// <summary>Every path under the staging folder (relative); symlinked folders are listed, never entered.</summary>
        private static HashSet<string> StagedPaths(string staging)
        {
            var paths = new HashSet<string>(StringComparer.Ordinal);
            void Walk(DirectoryInfo folder)
            {
                foreach (var entry in folder.EnumerateFileSystemInfos())
                {
                    paths.Add(Path.GetRelativePath(staging, entry.FullName).Replace('\\', '/'));
                    if (entry is DirectoryInfo child && child.LinkTarget is null) Walk(child);
                }
            }
            Walk(new DirectoryInfo(staging));
            return paths;
        }

        /// <summary>
        /// Who owns what a COPY/ADD/WORKDIR staged: copied entries get <see cref="Owner"/> (--chown, else root);
        /// entries extracted from a local archive keep the archive's owners (Docker ignores --chown for them);
        /// folders that were only made to hold those entries keep the image's metadata when the image has them,
        /// else they are new: 0755, owned by <see cref="Owner"/> — except folders an archive only implies (it holds
        /// <c>app/etc/x</c> but no <c>app/</c>), which unpacking makes 0755 root:root, as in BuildKit.
        /// </summary>
        private sealed record StagedOwnership((int Uid, int Gid) Owner, IReadOnlySet<string> Placed, IReadOnlySet<string> Extracted)
        {
            public IReadOnlySet<string> ImpliedByArchives { get; init; } = new HashSet<string>(StringComparer.Ordinal);
        }

        private async Task CommitStagingAsync(Instruction instruction, string staging, StagedOwnership ownership, CancellationToken cancellationToken)
        {
            var entries = FolderSnapshot.Enumerate(staging, "/").Select(entry => Owned(entry, ownership));
            var blob = await executor._writer.WriteAsync(entries, Path.Combine(work, "blobs"), cancellationToken).ConfigureAwait(false);
            var layer = await executor.AddLayerAsync(blob, _layers, cancellationToken).ConfigureAwait(false);
            _layers.Add(layer);
            // The next RUN in the chroot fallback must see these files as well.
            if (_rootfs is not null) await ApplyToRootAsync(_rootfs, layer, cancellationToken).ConfigureAwait(false);
            AddHistory(instruction, emptyLayer: false);
        }

        private LayerEntry Owned(LayerEntry entry, StagedOwnership ownership)
        {
            var (uid, gid) = ownership.Owner;
            if (ownership.Placed.Contains(entry.Path)) return entry with { Uid = uid, Gid = gid };
            if (ownership.Extracted.Contains(entry.Path)) return entry;
            if (entry.Kind == LayerEntryKind.Directory && ImageDirectory(entry.Path) is { } existing)
                return entry with { Mode = existing.Mode, Uid = existing.Uid, Gid = existing.Gid, Modified = existing.Modified, Xattrs = existing.Xattrs };
            if (ownership.ImpliedByArchives.Contains(entry.Path)) return entry with { Mode = 0x1ED, Uid = 0, Gid = 0 };
            return entry with { Mode = entry.Kind == LayerEntryKind.Directory ? 0x1ED /* 0755 */ : entry.Mode, Uid = uid, Gid = gid };
        }

        /// <summary>The image's own folder at a path (mode, owner, time, xattrs), or null when the image has none there.</summary>
        private LayerEntry? ImageDirectory(string relative)
        {
            if (View.Resolve(relative) is not { } host || Libc.LinkStatus(host) is not { } status || !FileKind.IsDirectory(status)) return null;
            return new FileTreeWalker().Describe(relative, host, status);
        }

        private async Task CommitRunLayerAsync(Instruction instruction, string upper, CancellationToken cancellationToken)
        {
            if (!Directory.EnumerateFileSystemEntries(upper).Any())
            {
                AddHistory(instruction, emptyLayer: true);
                return;
            }
            var blob = await executor._writer.WriteAsync(OverlayDiff.Enumerate(upper).Where(e => !IsIgnored(e.Path)), Path.Combine(work, "blobs"), cancellationToken).ConfigureAwait(false);
            // The store folder must hold what the blob holds, nothing the layer left out.
            RemoveIgnoredPaths(upper);
            _layers.Add(await executor.AdoptLayerAsync(blob, upper, cancellationToken).ConfigureAwait(false));
            AddHistory(instruction, emptyLayer: false);
        }

        private bool IsIgnored(string layerPath)
        {
            var path = "/" + layerPath.TrimStart('/');
            return Options.IgnorePaths.Any(ignored => path == ignored.TrimEnd('/') || path.StartsWith(ignored.TrimEnd('/') + "/", StringComparison.Ordinal));
        }

        /// <summary>
        /// Deletes the ignored paths from an upper folder, never through a symlink (a link in the upper
        /// folder points into the image, which the host would resolve against its own root). The parent's
        /// time is kept, as the folder then reads exactly like the extracted layer would.
        /// </summary>
        private void RemoveIgnoredPaths(string upper)
        {
            foreach (var ignored in Options.IgnorePaths)
            {
                var relative = LayerPath.Normalize(ignored.TrimStart('/'), "--ignore-path " + ignored);
                if (relative.Length == 0)
                {
                    foreach (var child in Directory.EnumerateFileSystemEntries(upper)) FolderDeleter.Delete(child);
                    continue;
                }
                var parent = upper;
                var parts = relative.Split('/');
                var reachable = true;
                foreach (var part in parts[..^1])
                {
                    parent = Path.Combine(parent, part);
                    if (Libc.LinkStatus(parent) is not { } status || !FileKind.IsDirectory(status)) { reachable = false; break; }
                }
                var target = Path.Combine(parent, parts[^1]);
                if (!reachable || Libc.LinkStatus(target) is null) continue;
                var parentStatus = Libc.LinkStatus(parent)!.Value;
                FolderDeleter.Delete(target);
                Libc.SetTimes(parent, DateTimeOffset.FromUnixTimeSeconds(parentStatus.ModificationTime.Seconds).AddTicks(parentStatus.ModificationTime.Nanoseconds / 100));
            }
        }

        private void AddHistory(Instruction instruction, bool emptyLayer) =>
            _history.Add(new HistoryEntry
            {
                Created = Options.CreatedAt,
                CreatedBy = InstructionText.OneLine(instruction) + " # orchestrator",
                Comment = null,
                EmptyLayer = emptyLayer ? true : null,
            });
    }
}
