using System.CommandLine;
using Orchestrator.Kubernetes;
using Orchestrator.Oci.Registry;

namespace Orchestrator.Cli;

/// <summary>
/// <c>dotnet orchestrate k8s</c>: <c>cleanup</c> removes Jobs (and pods) a build left in the cluster, by label;
/// <c>fetch-context</c> is what a build pod's init container runs to unpack its node's context into /workspace.
/// </summary>
internal sealed class KubernetesCommand(TextWriter stdout)
{
    public Command Create()
    {
        var command = new Command("k8s", "Kubernetes backend helpers.");
        command.Subcommands.Add(Cleanup());
        command.Subcommands.Add(FetchContext());
        return command;
    }

    /// <summary>The commands a build pod runs (<c>fetch-context</c>), without the cluster client's.</summary>
    public Command CreateForPods()
    {
        var command = new Command("k8s", "Kubernetes backend helpers.");
        command.Subcommands.Add(FetchContext());
        return command;
    }

    private Command Cleanup()
    {
        var @namespace = new Option<string?>("--namespace") { Description = "Namespace (default: the kubeconfig context's, else default)." };
        var context = new Option<string?>("--kube-context") { Description = "kubeconfig context." };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "kubeconfig file." };
        var buildId = new Option<string?>("--build-id") { Description = "Only this build's Jobs (default: every Job the orchestrator manages)." };
        var command = new Command("cleanup", "Delete the Jobs (and their pods), credential Secrets and certificate ConfigMaps left by builds, found by the app.kubernetes.io/managed-by=orchestrator label.");
        foreach (var option in new Option[] { @namespace, context, kubeconfig, buildId }) command.Options.Add(option);
        command.SetAction(async (result, token) =>
        {
            var options = new KubernetesOptions { Namespace = result.GetValue(@namespace), Context = result.GetValue(context), KubeconfigPath = result.GetValue(kubeconfig) };
            var (client, ns) = KubernetesConnection.Open(options);
            using (client)
            {
                var deleted = await KubernetesCleanup.RunAsync(client, ns, result.GetValue(buildId), token);
                foreach (var name in deleted) stdout.WriteLine($"job.batch/{name} deleted");
                stdout.WriteLine($"{deleted.Count} Job(s) deleted in namespace {ns}");
                if (await KubernetesCleanup.RunForSecretsAsync(client, ns, result.GetValue(buildId), token) is { } others)
                    foreach (var name in others) stdout.WriteLine($"{name} deleted");
                else
                    stdout.WriteLine("note: secrets were not listed (403); grant list and delete on secrets and configmaps to remove what --push-secret-from-local and --registry-certificate builds left");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private Command FetchContext()
    {
        var blob = new Option<string>("--blob") { Description = "The context blob: REGISTRY/REPOSITORY@sha256:DIGEST.", Required = true };
        var size = new Option<long>("--size") { Description = "Its size in bytes.", Required = true };
        var to = new Option<string>("--to") { Description = "Folder to unpack into.", DefaultValueFactory = _ => ExecutorArguments.Workspace };
        var insecure = new Option<string[]>("--insecure-registry") { Description = "Registry reached over plain HTTP (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var certificates = RegistryCertificateSpec.CreateOption();
        var skipTlsVerify = new Option<string[]>("--skip-tls-verify-registry") { Description = "Registry whose TLS certificate is not verified (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("fetch-context", "Download a build context blob from a registry and unpack it (a build pod's init container runs this).");
        foreach (var option in new Option[] { blob, size, to, insecure, certificates, skipTlsVerify }) command.Options.Add(option);
        RegistryCertificateSpec.Validate(certificates);
        command.SetAction(async (result, token) =>
        {
            var registry = RegistryClientOptions.FromEnvironment() with
            {
                InsecureRegistries = result.GetValue(insecure) ?? [],
                RegistryCertificates = RegistryCertificateSpec.ToDictionary(result.GetValue(certificates) ?? []),
                SkipTlsVerifyRegistries = result.GetValue(skipTlsVerify) ?? [],
            };
            await ContextFetcher.FetchAsync(result.GetValue(blob)!, result.GetValue(size), result.GetValue(to)!, registry, token);
            stdout.WriteLine($"build context {result.GetValue(blob)} unpacked into {result.GetValue(to)}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
