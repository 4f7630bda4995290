using System.CommandLine;
using System.Formats.Tar;
using System.IO.Compression;
using Orchestrator.Hosting;
using Orchestrator.Recipes;
using Command = System.CommandLine.Command;

namespace Orchestrator.Cli;

/// <summary>
/// <c>dotnet orchestrate executor</c>: a drop-in for Kaniko's executor, with Kaniko's flag names.
/// It imports the Dockerfile as a recipe and runs the same planner and local builder as <c>build</c>.
/// Flags that only tune Kaniko's own snapshotting are accepted and have no effect here; see
/// docs/kaniko-compat.md.
/// </summary>
internal sealed class ExecutorCommand
{
    private readonly Option<string> _dockerfile = new("--dockerfile", "-f") { Description = "Path to the Dockerfile (relative to the working folder, else to the context).", DefaultValueFactory = _ => "Dockerfile" };
    private readonly Option<string> _context = new("--context", "-c") { Description = "Build context: dir://PATH, a plain path, tar://PATH.tar.gz, or oci-blob://REGISTRY/REPOSITORY@sha256:DIGEST (a context tarball kept as a registry blob; not a Kaniko form).", DefaultValueFactory = _ => "/workspace/" };
    private readonly Option<string?> _contextSubPath = new("--context-sub-path") { Description = "Sub-folder of the context to use." };
    private readonly Option<string[]> _destination = new("--destination", "-d") { Description = "Image reference to push to (repeatable).", Arity = ArgumentArity.ZeroOrMore };
    private readonly Option<string[]> _buildArg = new("--build-arg") { Description = "NAME=VALUE, or NAME to take the environment's value (repeatable).", Arity = ArgumentArity.ZeroOrMore };
    private readonly Option<string?> _target = new("--target") { Description = "Stage to build." };
    private readonly Option<bool> _noPush = new("--no-push") { Description = "Build without pushing." };
    private readonly Option<string?> _tarPath = new("--tar-path", "--tarPath") { Description = "Write the image as a docker-archive tar." };
    private readonly Option<string?> _ociLayoutPath = new("--oci-layout-path") { Description = "Write the image as an OCI layout." };
    private readonly Option<string?> _digestFile = new("--digest-file") { Description = "Write the image digest to this file." };
    private readonly Option<string?> _nameDigestFile = new("--image-name-with-digest-file") { Description = "Write NAME@DIGEST lines to this file." };
    private readonly Option<string?> _nameTagDigestFile = new("--image-name-tag-with-digest-file") { Description = "Write NAME:TAG@DIGEST lines to this file." };
    private readonly Option<string[]> _label = new("--label") { Description = "KEY=VALUE label (repeatable).", Arity = ArgumentArity.ZeroOrMore };
    private readonly Option<bool> _reproducible = new("--reproducible") { Description = "Strip timestamps (SOURCE_DATE_EPOCH or the Unix epoch)." };
    private readonly Option<bool> _cache = new("--cache") { Description = "Use the build cache: the local one and the cache repo." };
    private readonly Option<string?> _cacheRepo = new("--cache-repo") { Description = "Repository for cached layers (default with --cache: <first destination's repository>/cache)." };
    private readonly Option<string?> _cacheDir = new("--cache-dir") { Description = "Local cache folder." };
    private readonly Option<string?> _cacheTtl = new("--cache-ttl") { Description = "How long cached layers stay valid (Go duration, default 336h)." };
    private readonly Option<bool> _cacheRequired = new("--cache-required") { Description = "Fail when the cache repo cannot be read (not a Kaniko flag)." };
    private readonly Option<bool> _insecure = new("--insecure") { Description = "Push over plain HTTP." };
    private readonly Option<bool> _insecurePull = new("--insecure-pull") { Description = "Pull over plain HTTP." };
    private readonly Option<string[]> _insecureRegistry = new("--insecure-registry") { Description = "Registry reached over plain HTTP (repeatable).", Arity = ArgumentArity.ZeroOrMore };
    private readonly Option<bool> _skipTlsVerify = new("--skip-tls-verify") { Description = "Do not verify the TLS certificates of the registries pushed to (destinations, cache repo)." };
    private readonly Option<bool> _skipTlsVerifyPull = new("--skip-tls-verify-pull") { Description = "Do not verify the TLS certificates of the registries only pulled from (base images)." };
    private readonly Option<string[]> _skipTlsVerifyRegistry = new("--skip-tls-verify-registry") { Description = "Registry whose TLS certificate is not verified (repeatable).", Arity = ArgumentArity.ZeroOrMore };
    private readonly Option<string[]> _registryCertificate = RegistryCertificateSpec.CreateOption();
    private readonly RegistryMirrorSpec _mirrors = new();
    private readonly Option<string?> _platform = new("--custom-platform", "--customPlatform") { Description = "Platform to build for, e.g. linux/arm64." };
    private readonly Option<string> _compression = new("--compression") { Description = "Layer compression: gzip or zstd.", DefaultValueFactory = _ => "gzip" };
    private readonly Option<int?> _compressionLevel = new("--compression-level") { Description = "Compression level." };
    private readonly Option<string[]> _ignorePath = new("--ignore-path") { Description = "Path left out of snapshots (repeatable).", Arity = ArgumentArity.ZeroOrMore };
    private readonly Option<bool> _cleanup = new("--cleanup") { Description = "Accepted; the executor never writes outside its cache and temporary folders." };
    private readonly Option<string> _verbosity = new("--verbosity", "-v") { Description = "Log level: panic, fatal, error, warn, info, debug, trace.", DefaultValueFactory = _ => "info" };
    private readonly Option<string> _logFormat = new("--log-format") { Description = "Log format: text, color or json.", DefaultValueFactory = _ => "color" };
    private readonly Option<bool> _logTimestamp = new("--log-timestamp") { Description = "Accepted; lines carry no timestamps." };
    private readonly Option<int> _pushRetry = new("--push-retry") { Description = "Retries per registry operation." };
    private readonly Option<string> _snapshotMode = new("--snapshot-mode", "--snapshotMode") { Description = "full, redo or time. Overlay diffs are exact whatever the mode; --sandbox chroot walks metadata (redo's checks plus ctime).", DefaultValueFactory = _ => "full" };
    private readonly Option<bool> _useNewRun = new("--use-new-run") { Description = "Accepted: RUN always records changes without rescanning the filesystem where overlay is allowed." };
    private readonly Option<string[]> _ssh = new("--ssh") { Description = "SSH agent socket for RUN --mount=type=ssh (not a Kaniko flag): default (= $SSH_AUTH_SOCK) or ID=SOCKET (repeatable).", Arity = ArgumentArity.ZeroOrMore };
    private readonly Option<string> _sandbox = new("--sandbox") { Description = "RUN sandbox (not a Kaniko flag): auto, overlay, or chroot (one flattened root per stage; what a root pod without mount rights gets with auto).", DefaultValueFactory = _ => "auto" };
    private readonly Option<bool> _singleSnapshot = new("--single-snapshot") { Description = "Accepted; each step still makes its own layer." };
    private readonly Option<bool> _skipUnusedStages = new("--skip-unused-stages") { Description = "Accepted: unused stages are always skipped." };
    private readonly Option<bool> _cacheCopyLayers = new("--cache-copy-layers") { Description = "Keep COPY and ADD steps in the cache repo (default true here; keys hash the copied content).", DefaultValueFactory = _ => true };
    private readonly Option<bool> _cacheRunLayers = new("--cache-run-layers") { Description = "Keep RUN steps in the cache repo.", DefaultValueFactory = _ => true };
    private readonly Option<bool> _compressedCaching = new("--compressed-caching") { Description = "Accepted." };
    private readonly Option<bool> _noPushCache = new("--no-push-cache") { Description = "Look steps up in the cache repo but do not push new ones." };
    private readonly Option<bool> _ignoreVarRun = new("--ignore-var-run") { Description = "Accepted: /var/run is never in a RUN layer unless the step writes it." };
    private readonly Option<string?> _kanikoDir = new("--kaniko-dir") { Description = "Accepted." };
    private readonly Option<bool> _force = new("--force") { Description = "Accepted: the executor runs anywhere." };
    private readonly Option<int> _extractRetry = new("--image-fs-extract-retry") { Description = "Accepted." };
    private readonly Option<bool> _forceBuildMetadata = new("--force-build-metadata") { Description = "Accepted." };

    public Command Create(Func<BuildRequest, RecipeLoader, CancellationToken, Task<int>> run)
    {
        var command = new Command("executor", "Build one Dockerfile like Kaniko's executor, with Kaniko's flags.");
        foreach (var option in new Option[]
        {
            _dockerfile, _context, _contextSubPath, _destination, _buildArg, _target, _noPush, _tarPath, _ociLayoutPath, _digestFile,
            _nameDigestFile, _nameTagDigestFile, _label, _reproducible, _cache, _cacheRepo, _cacheDir, _cacheTtl, _cacheRequired, _insecure, _insecurePull,
            _insecureRegistry, _skipTlsVerify, _skipTlsVerifyPull, _skipTlsVerifyRegistry, _registryCertificate, _platform, _compression, _compressionLevel,
            _ignorePath, _cleanup, _verbosity, _logFormat, _logTimestamp, _pushRetry, _snapshotMode, _useNewRun, _singleSnapshot,
            _skipUnusedStages, _cacheCopyLayers, _cacheRunLayers, _compressedCaching, _noPushCache, _ignoreVarRun, _kanikoDir, _force,
            _extractRetry, _forceBuildMetadata, _sandbox, _ssh, _mirrors.Mirror, _mirrors.Map,
        })
            command.Options.Add(option);
        _compression.AcceptOnlyFromAmong("gzip", "zstd");
        _logFormat.AcceptOnlyFromAmong("text", "color", "json");
        _verbosity.AcceptOnlyFromAmong("panic", "fatal", "error", "warn", "info", "debug", "trace");
        // Kaniko refuses other snapshot modes too; the value itself chooses nothing here (see docs/kaniko-compat.md).
        _snapshotMode.Validators.Add(result => BuildCommand.OneOf(result, "--snapshot-mode", "full", "redo", "time"));
        _sandbox.Validators.Add(result => BuildCommand.OneOf(result, "--sandbox", "auto", "overlay", "chroot"));
        SshSpec.Validate(_ssh);
        RegistryCertificateSpec.Validate(_registryCertificate);
        DurationFlags.Validate(_cacheTtl);

        command.SetAction(async (result, token) =>
        {
            var destinations = result.GetValue(_destination) ?? [];
            var noPush = result.GetValue(_noPush);
            var tarPath = result.GetValue(_tarPath);
            var ociLayout = result.GetValue(_ociLayoutPath);
            var settings = new BuildSettings
            {
                ScriptPath = result.GetValue(_dockerfile)!,
                NoPush = noPush,
                NoCache = !result.GetValue(_cache),
                CacheRepo = result.GetValue(_cache) ? result.GetValue(_cacheRepo) ?? DefaultCacheRepo(destinations) : null,
                CacheTimeToLive = SizeAndDuration.DurationOrNull(result.GetValue(_cacheTtl)),
                NoPushCache = result.GetValue(_noPushCache),
                CacheRequired = result.GetValue(_cacheRequired),
                CacheRunLayers = result.GetValue(_cacheRunLayers),
                CacheCopyLayers = result.GetValue(_cacheCopyLayers),
                CacheDirectory = result.GetValue(_cacheDir),
                BuildArgs = KeyValueArguments.Parse(result.GetValue(_buildArg) ?? [], FromEnvironment),
                InsecureRegistries = InsecureRegistries(result, destinations),
                RegistryCertificates = RegistryCertificateSpec.ToDictionary(result.GetValue(_registryCertificate) ?? []),
                RegistryMirrors = _mirrors.Read(result),
                SkipTlsVerifyRegistries = SkipTlsVerifyRegistries(result, destinations),
                SkipTlsVerifyPull = result.GetValue(_skipTlsVerifyPull),
                PushRegistries = PushRegistries(result, destinations),
                Reproducible = result.GetValue(_reproducible),
                Compression = result.GetValue(_compression)!,
                CompressionLevel = result.GetValue(_compressionLevel),
                IgnorePaths = result.GetValue(_ignorePath) ?? [],
                PushRetries = result.GetValue(_pushRetry),
                Platform = result.GetValue(_platform),
                Jobs = Environment.ProcessorCount,
                Sandbox = result.GetValue(_sandbox)!,
                SshAgents = SshSpec.ToDictionary(result.GetValue(_ssh) ?? []),
            };
            var request = new BuildRequest(settings)
            {
                DigestFile = result.GetValue(_digestFile),
                ImageNameWithDigestFile = result.GetValue(_nameDigestFile),
                ImageNameTagWithDigestFile = result.GetValue(_nameTagDigestFile),
                Progress = result.GetValue(_logFormat) == "json" ? "json" : "plain",
                Verbose = result.GetValue(_verbosity) is "debug" or "trace",
            };
            var contextArgument = result.GetValue(_context)!;
            var subPath = result.GetValue(_contextSubPath);
            var target = result.GetValue(_target);
            var labels = KeyValueArguments.Parse(result.GetValue(_label) ?? [], FromEnvironment);
            var unpacked = (string?)null;
            try
            {
                async Task<RecipeBook> Load(BuildSettings s, CancellationToken ct)
                {
                    if (destinations.Length == 0 && !noPush && tarPath is null && ociLayout is null)
                        throw new OrchestratorException("no --destination given; pass --destination=REGISTRY/IMAGE:TAG, or --no-push (with --tar-path or --oci-layout-path to keep the image)");
                    var (root, temporary) = await FetchContextAsync(contextArgument, s, ct);
                    unpacked = temporary;
                    var context = ContextFolder(root, contextArgument, subPath);
                    var dockerfile = ResolveDockerfile(s.ScriptPath, context);
                    var book = new RecipeBook(context, s.BuildArgs) { BaseImageEnvironment = BuildHost.BaseImageEnvironment(s) };
                    var image = book.Dockerfile(dockerfile, target: target, context: context, name: "image");
                    foreach (var (key, value) in labels) image.Label(key, value);
                    // A flag has no source line to report: naming none spares the stack walk (and PDB reading) of a call site.
                    CallSite.At(image, "", 0, nameof(RecipeBuilder.Destination)).Destination([.. destinations]);
                    if (tarPath is not null) image.Output(Path.GetFullPath(tarPath));
                    if (ociLayout is not null) image.Output(Path.GetFullPath(ociLayout));
                    return book;
                }
                return await run(request, Load, token);
            }
            finally
            {
                if (unpacked is not null) Directory.Delete(unpacked, recursive: true);
            }
        });
        return command;
    }

    /// <summary>
    /// The folder a <c>--context</c> names: a plain path or dir://PATH as it is; tar://PATH.tar.gz and
    /// oci-blob://REGISTRY/REPOSITORY@sha256:DIGEST (a build context the Kubernetes backend keeps in its cache repo)
    /// unpacked into a temporary folder, returned as the second item so it is removed after the build.
    /// </summary>
    private static async Task<(string Root, string? Temporary)> FetchContextAsync(string argument, BuildSettings settings, CancellationToken cancellationToken)
    {
        if (argument.StartsWith("tar://", StringComparison.Ordinal))
        {
            var archive = argument["tar://".Length..];
            if (!File.Exists(archive)) throw new OrchestratorException($"--context {argument}: archive '{archive}' not found");
            return await UnpackAsync(async folder =>
            {
                await using var file = File.OpenRead(archive);
                await using var gzip = new GZipStream(file, CompressionMode.Decompress);
                await TarFile.ExtractToDirectoryAsync(gzip, folder, overwriteFiles: false, cancellationToken);
            });
        }
        if (argument.StartsWith(Kubernetes.ContextFetcher.Scheme, StringComparison.Ordinal))
        {
            return await UnpackAsync(folder => Kubernetes.ContextFetcher.FetchAsync(
                argument[Kubernetes.ContextFetcher.Scheme.Length..], size: null, folder, Backends.RegistryOptions(settings), cancellationToken));
        }
        if (argument.StartsWith("dir://", StringComparison.Ordinal)) return (argument["dir://".Length..], null);
        if (argument.Contains("://", StringComparison.Ordinal))
            throw new OrchestratorException($"--context {argument}: only dir://, tar://, {Kubernetes.ContextFetcher.Scheme} and plain paths are supported (fetch other remote contexts into a folder first)");
        return (argument, null);
    }

    /// <summary>A new temporary folder filled by <paramref name="fill"/>; removed again when that fails.</summary>
    private static async Task<(string Root, string? Temporary)> UnpackAsync(Func<string, Task> fill)
    {
        var folder = Directory.CreateTempSubdirectory("orchestrator-context-").FullName;
        try
        {
            await fill(folder);
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }
        return (folder, folder);
    }

    private static string ContextFolder(string root, string argument, string? subPath)
    {
        var context = Path.GetFullPath(subPath is null ? root : Path.Combine(root, subPath));
        if (!Directory.Exists(context))
            throw new OrchestratorException(subPath is null ? $"--context: folder '{context}' not found" : $"--context-sub-path '{subPath}': folder '{context}' not found in --context {argument}");
        return context;
    }

    /// <summary>Like Kaniko: the path as given when it exists, else relative to the context.</summary>
    private static string ResolveDockerfile(string path, string context)
    {
        if (File.Exists(path)) return Path.GetFullPath(path);
        var inContext = Path.Combine(context, path);
        if (File.Exists(inContext)) return inContext;
        throw new OrchestratorException($"--dockerfile '{path}' not found, neither in the working folder nor in the context {context}");
    }

    private IReadOnlyList<string> InsecureRegistries(System.CommandLine.ParseResult result, IEnumerable<string> destinations)
    {
        var registries = new List<string>(result.GetValue(_insecureRegistry) ?? []);
        if (result.GetValue(_insecure))
            registries.AddRange(destinations.Select(d => Oci.ImageReference.TryParse(d, out var r, out _) ? r.Registry : null).OfType<string>());
        return registries.Distinct().ToList();
    }

    /// <summary>
    /// Kaniko's <c>--skip-tls-verify-registry</c>, plus, with <c>--skip-tls-verify</c>, the registries it pushes to:
    /// the destinations' and the cache repo's.
    /// </summary>
    private List<string> SkipTlsVerifyRegistries(System.CommandLine.ParseResult result, string[] destinations)
    {
        var registries = new List<string>(result.GetValue(_skipTlsVerifyRegistry) ?? []);
        if (result.GetValue(_skipTlsVerify)) registries.AddRange(PushRegistries(result, destinations));
        return registries.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>The registries of the destinations and of the cache repo.</summary>
    private List<string> PushRegistries(System.CommandLine.ParseResult result, string[] destinations)
    {
        var cacheRepo = result.GetValue(_cache) ? result.GetValue(_cacheRepo) ?? DefaultCacheRepo(destinations) : null;
        return destinations.Append(cacheRepo).OfType<string>()
            .Select(d => Oci.ImageReference.TryParse(d, out var r, out _) ? r.Registry : null).OfType<string>()
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>Kaniko's default cache repo with <c>--cache</c> and no <c>--cache-repo</c>: the first destination's repository + <c>/cache</c>.</summary>
    private static string? DefaultCacheRepo(string[] destinations) =>
        destinations.Length > 0 && Oci.ImageReference.TryParse(destinations[0], out var first, out _)
            ? first.Name + "/cache"
            : null;

    private static string FromEnvironment(string name) => Environment.GetEnvironmentVariable(name) ?? "";
}
