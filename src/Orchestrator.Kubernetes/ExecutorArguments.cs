using System.Globalization;
using Orchestrator.Recipes;

namespace Orchestrator.Kubernetes;

/// <summary>
/// The container arguments of a node's executor: Kaniko's flags only, so this project's executor and an
/// upstream Kaniko image both run the Job. This project's executor reads the node's context blob from the
/// registry itself (<c>--context=oci-blob://…</c>); for an upstream Kaniko image (a <see cref="KubernetesOptions.ContextFetchImage"/>
/// is given) an init container unpacks it into <c>/workspace</c> first. The digest goes to the termination
/// message, where the backend reads it.
/// </summary>
public static class ExecutorArguments
{
    public const string Workspace = "/workspace";
    public const string TerminationLog = "/dev/termination-log";

    /// <summary>This project's CLI in its executor image (the published app host; the image's entrypoint runs it with <c>executor</c>).</summary>
    public const string ExecutorProgram = "/orchestrator/dotnet-orchestrate";

    public static IReadOnlyList<string> For(StageRecipe stage, IEnumerable<string> destinations, string contextBlob, KubernetesOptions options)
    {
        List<string> args = options.ExecutorFetchesContext
            ?
            [
                // The executor unpacks the archive and, as Kaniko does, finds the Dockerfile relative to the context (sub-path included).
                $"--dockerfile=../{BuildContextArchive.DockerfileName}",
                $"--context={ContextFetcher.Scheme}{contextBlob}",
                $"--context-sub-path={BuildContextArchive.ContextFolder}",
            ]
            :
            [
                $"--dockerfile={Workspace}/{BuildContextArchive.DockerfileName}",
                $"--context=dir://{Workspace}/{BuildContextArchive.ContextFolder}",
            ];
        args.AddRange(destinations.Select(d => "--destination=" + d));
        if (stage.CacheRepo is { } cacheRepo)
        {
            args.Add("--cache=true");
            args.Add("--cache-repo=" + cacheRepo);
        }
        foreach (var (name, value) in options.BuildArgs.OrderBy(a => a.Key, StringComparer.Ordinal))
            args.Add($"--build-arg={name}={value}");
        if (options.Reproducible) args.Add("--reproducible");
        if ((stage.Platform ?? options.Platform) is { } platform) args.Add("--custom-platform=" + platform);
        foreach (var registry in options.InsecureRegistries) args.Add("--insecure-registry=" + registry);
        args.AddRange(TlsArguments(options));
        args.AddRange(MirrorArguments(options));
        args.Add("--digest-file=" + TerminationLog);
        return args;
    }

    /// <summary>Kaniko's <c>--registry-certificate</c> (the files of the mounted ConfigMap) and <c>--skip-tls-verify-registry</c>.</summary>
    public static IEnumerable<string> TlsArguments(KubernetesOptions options) =>
        options.RegistryCertificates.Keys.Order(StringComparer.Ordinal)
            .Select(r => $"--registry-certificate={r}={JobManifest.CertificatesFolder}/{KubernetesNames.CertificateKey(r)}")
            .Concat(options.SkipTlsVerifyRegistries.Order(StringComparer.Ordinal).Select(r => "--skip-tls-verify-registry=" + r));

    /// <summary>Kaniko's <c>--registry-mirror</c> (Docker Hub's mirrors) and <c>--registry-map</c> (any other registry's), in the order given.</summary>
    public static IEnumerable<string> MirrorArguments(KubernetesOptions options) =>
        options.Registry.RegistryMirrors.OrderBy(m => m.Key, StringComparer.Ordinal).SelectMany(m => m.Value.Select(mirror =>
            m.Key == Oci.ImageReference.DockerHub ? "--registry-mirror=" + mirror : $"--registry-map={m.Key}={mirror}"));

    /// <summary>Arguments of the init container: this project's <c>k8s fetch-context</c> command.</summary>
    public static IReadOnlyList<string> FetchContext(string blobReference, long size, KubernetesOptions options) =>
    [
        ExecutorProgram, "k8s", "fetch-context",
        "--blob=" + blobReference, "--size=" + size.ToString(CultureInfo.InvariantCulture), "--to=" + Workspace,
        .. options.InsecureRegistries.Select(r => "--insecure-registry=" + r),
        .. TlsArguments(options),
    ];
}
