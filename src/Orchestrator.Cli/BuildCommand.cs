using System.CommandLine;
using System.CommandLine.Parsing;
using Orchestrator.Hosting;
using Orchestrator.Planning;

namespace Orchestrator.Cli;

/// <summary>The options of <c>dotnet orchestrate [build]</c> and their translation into a <see cref="BuildRequest"/>.</summary>
internal sealed class BuildCommand
{
    private readonly Argument<string[]> _arguments = new("script-and-targets")
    {
        Description = "The build script (default: build.csx) followed by targets to build (default: every Image).",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private readonly Option<bool> _plan = new("--plan") { Description = "Print the build graph and stop; nothing is executed." };

    private readonly Option<string> _planFormat = new("--plan-format")
    {
        Description = "Format of --plan output.",
        DefaultValueFactory = _ => "text",
    };

    private readonly Option<string[]> _buildArgs = new("--build-arg") { Description = "Build argument NAME=VALUE (repeatable).", Arity = ArgumentArity.ZeroOrMore };

    private readonly Option<int> _jobs = new("--jobs", "-j")
    {
        Description = "How many stage nodes run at once.",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    private readonly Option<string> _backend = new("--backend") { Description = "Where stages run.", DefaultValueFactory = _ => "local" };

    private readonly Option<bool> _noPush = new("--no-push") { Description = "Build without pushing to destinations." };

    private readonly Option<string?> _output = new("--output", "-o") { Description = "Also write the image to DIR (OCI layout) or FILE.tar (docker-archive)." };

    private readonly Option<string?> _cacheRepo = new("--cache-repo") { Description = "Registry repository for cached layers and stages (overrides the recipes')." };

    private readonly Option<string?> _cacheTtl = new("--cache-ttl") { Description = "How long cache-repo entries stay valid, e.g. 336h (the default), 72h30m." };

    private readonly Option<bool> _noPushCache = new("--no-push-cache") { Description = "Use the cache repo for lookups only: steps that run are not pushed to it." };

    private readonly Option<bool> _cacheRequired = new("--cache-required") { Description = "Fail when the cache repo cannot be read, instead of building without it." };

    private readonly Option<bool> _cacheRunLayers = new("--cache-run-layers") { Description = "Keep RUN steps in the cache repo (default true).", DefaultValueFactory = _ => true };

    private readonly Option<bool> _cacheCopyLayers = new("--cache-copy-layers") { Description = "Keep COPY and ADD steps in the cache repo (default true).", DefaultValueFactory = _ => true };

    private readonly Option<bool> _noCache = new("--no-cache") { Description = "Do not look up or reuse cached results (script cache included)." };

    private readonly Option<string?> _cacheDir = new("--cache-dir") { Description = "Local cache folder (default: $XDG_CACHE_HOME/orchestrator)." };

    private readonly Option<string[]> _insecure = new("--insecure-registry") { Description = "Use plain HTTP for this registry host[:port] (repeatable).", Arity = ArgumentArity.ZeroOrMore };
    private readonly Option<string[]> _registryCertificate = RegistryCertificateSpec.CreateOption();
    private readonly RegistryMirrorSpec _mirrors = new();
    private readonly Option<string[]> _skipTlsVerifyRegistry = new("--skip-tls-verify-registry") { Description = "Registry whose TLS certificate is not verified (repeatable; also passed to the kubernetes backend's executor).", Arity = ArgumentArity.ZeroOrMore };

    private readonly Option<string> _progress = new("--progress") { Description = "Progress output.", DefaultValueFactory = _ => "auto" };

    private readonly Option<bool> _verbose = new("--verbose", "-v") { Description = "More detail in plain progress: nodes skipped and why." };

    private readonly Option<string[]> _ssh = new("--ssh") { Description = "SSH agent socket for RUN steps that mount it: default (= $SSH_AUTH_SOCK) or ID=SOCKET (repeatable). Never stored in a layer.", Arity = ArgumentArity.ZeroOrMore };
    private readonly Option<string[]> _secrets = new("--secret") { Description = "Secret file for RUN steps that mount it: id=ID,src=PATH (repeatable). Never stored in a layer.", Arity = ArgumentArity.ZeroOrMore };

    private readonly Option<bool> _reproducible = new("--reproducible") { Description = "Pin every time in layers and config to SOURCE_DATE_EPOCH, else the Unix epoch." };

    private readonly Option<string?> _platform = new("--platform") { Description = "Platform of the bases (os/arch[/variant]) for recipes that do not name one." };

    private readonly Option<string> _sandbox = new("--sandbox")
    {
        Description = "RUN sandbox: auto (overlayfs in a user namespace where allowed, else chroot), overlay, or chroot (one flattened root per stage, needs root).",
        DefaultValueFactory = _ => "auto",
    };

    private readonly KubernetesFlags _kubernetes = new();

    public BuildCommand()
    {
        _planFormat.AcceptOnlyFromAmong("text", "json", "dot", "mermaid");
        _backend.AcceptOnlyFromAmong("local", "kubernetes");
        _progress.AcceptOnlyFromAmong("auto", "plain", "json");
        _sandbox.Validators.Add(result => OneOf(result, "--sandbox", "auto", "overlay", "chroot"));
        DurationFlags.Validate(_cacheTtl);
        _buildArgs.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => !t.Value.Contains('=')))
                result.AddError($"--build-arg '{token.Value}' must be NAME=VALUE");
        });
        _secrets.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                if (SecretSpec.TryParse(token.Value, out _, out var error) is false) result.AddError(error!);
        });
        SshSpec.Validate(_ssh);
        RegistryCertificateSpec.Validate(_registryCertificate);
        _jobs.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1) result.AddError("--jobs must be at least 1");
        });
    }

    public void AddTo(Command command)
    {
        command.Arguments.Add(_arguments);
        foreach (var option in new Option[] { _plan, _planFormat, _buildArgs, _jobs, _backend, _noPush, _output, _cacheRepo, _cacheTtl, _noPushCache, _cacheRequired, _cacheRunLayers, _cacheCopyLayers, _noCache, _cacheDir, _insecure, _registryCertificate, _skipTlsVerifyRegistry, _progress, _verbose, _secrets, _ssh, _reproducible, _platform, _sandbox, _mirrors.Mirror, _mirrors.Map })
            command.Options.Add(option);
        _kubernetes.AddTo(command);
    }

    public BuildRequest Read(ParseResult result)
    {
        var positional = (result.GetValue(_arguments) ?? []).ToList();
        var script = "build.csx";
        if (positional.Count > 0 && LooksLikeScript(positional[0]))
        {
            script = positional[0];
            positional.RemoveAt(0);
        }

        var settings = new BuildSettings
        {
            ScriptPath = script,
            Targets = positional,
            BuildArgs = KeyValueArguments.Parse(result.GetValue(_buildArgs) ?? []),
            Jobs = result.GetValue(_jobs),
            Backend = result.GetValue(_backend)!,
            NoPush = result.GetValue(_noPush),
            Output = result.GetValue(_output),
            CacheRepo = result.GetValue(_cacheRepo),
            NoCache = result.GetValue(_noCache),
            CacheTimeToLive = SizeAndDuration.DurationOrNull(result.GetValue(_cacheTtl)),
            NoPushCache = result.GetValue(_noPushCache),
            CacheRequired = result.GetValue(_cacheRequired),
            CacheRunLayers = result.GetValue(_cacheRunLayers),
            CacheCopyLayers = result.GetValue(_cacheCopyLayers),
            CacheDirectory = result.GetValue(_cacheDir),
            InsecureRegistries = result.GetValue(_insecure) ?? [],
            RegistryCertificates = RegistryCertificateSpec.ToDictionary(result.GetValue(_registryCertificate) ?? []),
            RegistryMirrors = _mirrors.Read(result),
            SkipTlsVerifyRegistries = result.GetValue(_skipTlsVerifyRegistry) ?? [],
            Secrets = (result.GetValue(_secrets) ?? []).Select(s => { SecretSpec.TryParse(s, out var spec, out _); return spec; }).ToDictionary(s => s.Id, s => s.Source),
            SshAgents = SshSpec.ToDictionary(result.GetValue(_ssh) ?? []),
            Reproducible = result.GetValue(_reproducible),
            Platform = result.GetValue(_platform),
            Sandbox = result.GetValue(_sandbox)!,
            Kubernetes = _kubernetes.Read(result),
            KubernetesFlags = _kubernetes.ReadSettings(result),
        };
        return new BuildRequest(settings)
        {
        PlanOnly = result.GetValue(_plan),
        PlanFormat = Enum.Parse<PlanFormat>(result.GetValue(_planFormat)!, ignoreCase: true),
        Progress = result.GetValue(_progress)!,
        Verbose = result.GetValue(_verbose),
        };
    }

    /// <summary>Like AcceptOnlyFromAmong, but the message names the option, so a long command line points at its mistake.</summary>
    internal static void OneOf(OptionResult result, string option, params string[] allowed)
    {
        var value = result.GetValueOrDefault<string>();
        if (!allowed.Contains(value, StringComparer.Ordinal))
            result.AddError($"{option} '{value}' is not one of: {string.Join(", ", allowed)}");
    }

    private static bool LooksLikeScript(string value) =>
        value.EndsWith(".csx", StringComparison.OrdinalIgnoreCase) || File.Exists(value) || value.Contains('/');
}
