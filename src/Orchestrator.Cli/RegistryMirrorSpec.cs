using System.CommandLine;
using Orchestrator.Oci;

namespace Orchestrator.Cli;

/// <summary>
/// Kaniko's pull-through mirror flags: <c>--registry-mirror HOST</c> (for Docker Hub images) and
/// <c>--registry-map REGISTRY=MIRROR[;REGISTRY=MIRROR…]</c> (for any registry), each repeatable, tried in order.
/// </summary>
internal sealed class RegistryMirrorSpec
{
    public Option<string[]> Mirror { get; } = new("--registry-mirror")
    {
        Description = "Read Docker Hub images from this mirror first (host[:port][/path] of a pull-through cache; repeatable, tried in order; Docker Hub when none has them).",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public Option<string[]> Map { get; } = new("--registry-map")
    {
        Description = "REGISTRY=MIRROR: read that registry's images from the mirror first (repeatable, or ';'-separated; the registry itself when the mirror has none).",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public RegistryMirrorSpec()
    {
        Map.Validators.Add(result =>
        {
            foreach (var pair in Pairs(result.GetValueOrDefault<string[]>() ?? []))
                if (pair.Registry.Length == 0 || pair.Mirror.Length == 0)
                    result.AddError($"--registry-map '{pair.Registry}={pair.Mirror}' is not REGISTRY=MIRROR, e.g. --registry-map index.docker.io=mirror.example.com");
        });
    }

    /// <summary>Mirrors by the registry they stand in for, in the order given (Docker Hub's names all mean <c>docker.io</c>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Read(ParseResult result)
    {
        var mirrors = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        void Add(string registry, string mirror) =>
            (mirrors.TryGetValue(Canonical(registry), out var list) ? list : mirrors[Canonical(registry)] = []).Add(mirror.TrimEnd('/'));
        foreach (var mirror in result.GetValue(Mirror) ?? []) Add(ImageReference.DockerHub, mirror);
        foreach (var (registry, mirror) in Pairs(result.GetValue(Map) ?? [])) Add(registry, mirror);
        return mirrors.ToDictionary(m => m.Key, m => (IReadOnlyList<string>)m.Value, StringComparer.OrdinalIgnoreCase);
    }

    private static IEnumerable<(string Registry, string Mirror)> Pairs(IEnumerable<string> values) =>
        values.SelectMany(v => v.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(p => p.Split('=', 2)).Select(p => (p[0], p.Length > 1 ? p[1] : ""));

    private static string Canonical(string registry) =>
        registry is "index.docker.io" or "registry-1.docker.io" or "registry.hub.docker.com" ? ImageReference.DockerHub : registry;
}
