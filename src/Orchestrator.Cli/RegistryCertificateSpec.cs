using System.CommandLine;

namespace Orchestrator.Cli;

/// <summary><c>--registry-certificate REGISTRY=PATH</c> (Kaniko's form): a PEM certificate to trust for one registry.</summary>
internal static class RegistryCertificateSpec
{
    public static Option<string[]> CreateOption() => new("--registry-certificate")
    {
        Description = "REGISTRY=PATH: PEM CA (or server) certificate to trust for that registry's TLS (repeatable); such a registry is reached over TLS even on loopback.",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public static void Validate(Option<string[]> option) => option.Validators.Add(result =>
    {
        foreach (var item in result.GetValueOrDefault<string[]>() ?? [])
        {
            var equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || equals == item.Length - 1)
                result.AddError($"--registry-certificate '{item}' is not REGISTRY=PATH, e.g. --registry-certificate registry.internal:5000=/etc/ssl/internal-ca.pem");
            else if (!File.Exists(item[(equals + 1)..]))
                result.AddError($"--registry-certificate {item}: the file '{item[(equals + 1)..]}' does not exist; give a PEM file of the registry's CA certificate");
        }
    });

    public static IReadOnlyDictionary<string, string> ToDictionary(IEnumerable<string> items) =>
        items.Select(i => i.Split('=', 2)).GroupBy(p => p[0], StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => Path.GetFullPath(g.Last()[1]), StringComparer.OrdinalIgnoreCase);
}
