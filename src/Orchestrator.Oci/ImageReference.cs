using System.Text.RegularExpressions;

namespace Orchestrator.Oci;

/// <summary>
/// A normalised image reference per the distribution grammar:
/// <c>busybox</c> → <c>docker.io/library/busybox:latest</c>.
/// </summary>
public sealed partial record ImageReference(string Registry, string Repository, string? Tag, string? Digest)
{
    public const string DockerHub = "docker.io";

    /// <summary>The tag, or <c>latest</c> when neither tag nor digest was given.</summary>
    public string? EffectiveTag => Tag ?? (Digest is null ? "latest" : null);

    /// <summary>What to ask the registry for: the digest when pinned, else the tag.</summary>
    public string ManifestReference => Digest ?? EffectiveTag!;

    /// <summary>The registry host as used on the wire (<c>docker.io</c> is served by <c>registry-1.docker.io</c>).</summary>
    public string RegistryHost => Registry == DockerHub ? "registry-1.docker.io" : Registry;

    public ImageReference WithTag(string tag) => this with { Tag = tag, Digest = null };

    public ImageReference WithDigest(string digest) =>
        DigestPattern().IsMatch(digest) && HasValidEncodedLength(digest)
            ? this with { Digest = digest }
            : throw new OrchestratorException($"invalid digest '{digest}' for image '{Name}': expected sha256:<64 lowercase hex digits>");

    /// <summary>True for registries reached over plain HTTP by default: <c>localhost</c>, 127.0.0.0/8 and <c>::1</c>.</summary>
    public bool IsLoopbackRegistry => IsLoopbackHost(Registry);

    /// <summary>The host name of <paramref name="registry"/> without its port (and without IPv6 brackets).</summary>
    public static string HostWithoutPort(string registry)
    {
        if (registry.StartsWith('['))
        {
            var close = registry.IndexOf(']');
            return close > 0 ? registry[1..close] : registry;
        }
        var colon = registry.LastIndexOf(':');
        return colon > 0 ? registry[..colon] : registry;
    }

    /// <summary>Whether <paramref name="registry"/> (host[:port]) is this machine's loopback interface.</summary>
    public static bool IsLoopbackHost(string registry)
    {
        var host = HostWithoutPort(registry);
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return System.Net.IPAddress.TryParse(host, out var address) && System.Net.IPAddress.IsLoopback(address);
    }

    /// <summary>The repository without tag or digest: <c>docker.io/library/busybox</c>.</summary>
    public string Name => Registry + "/" + Repository;

    public override string ToString() =>
        Name + (EffectiveTag is { } tag && (Tag is not null || Digest is null) ? ":" + tag : "") + (Digest is null ? "" : "@" + Digest);

    public static ImageReference Parse(string input) =>
        TryParse(input, out var reference, out var error) ? reference : throw new OrchestratorException(error);

    public static bool TryParse(string? input, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ImageReference? reference, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        reference = null;
        if (string.IsNullOrWhiteSpace(input))
        {
            error = "image reference is empty";
            return false;
        }
        string Fail(string why) => $"invalid image reference '{input}': {why}";

        var rest = input;
        string? digest = null;
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            if (!DigestPattern().IsMatch(digest) || !HasValidEncodedLength(digest))
            {
                error = Fail($"digest '{digest}' must look like sha256:<64 lowercase hex digits>");
                return false;
            }
        }

        if (rest.Length == 0)
        {
            error = Fail("the repository name is missing before '@'");
            return false;
        }
        if (rest.Any(char.IsWhiteSpace))
        {
            error = Fail("it contains white space");
            return false;
        }

        string? tag = null;
        var lastColon = rest.LastIndexOf(':');
        if (lastColon > rest.LastIndexOf('/'))
        {
            tag = rest[(lastColon + 1)..];
            rest = rest[..lastColon];
            if (!TagPattern().IsMatch(tag))
            {
                error = Fail($"tag '{tag}' may hold only letters, digits, '_', '.' and '-' (at most 128, not starting with '.' or '-')");
                return false;
            }
        }

        var registry = DockerHub;
        var slash = rest.IndexOf('/');
        if (slash == 0)
        {
            error = Fail("it starts with '/'; write registry/repository or just repository");
            return false;
        }
        if (slash > 0)
        {
            var first = rest[..slash];
            if (first.Contains('.') || first.Contains(':') || first == "localhost" || first.Any(char.IsUpper))
            {
                registry = first;
                rest = rest[(slash + 1)..];
                if (!DomainPattern().IsMatch(registry))
                {
                    error = Fail($"registry '{registry}' is not a valid host[:port]");
                    return false;
                }
            }
        }
        if (registry is "index.docker.io" or "registry-1.docker.io") registry = DockerHub;

        if (rest.Length == 0)
        {
            error = Fail("the repository name is missing");
            return false;
        }
        if (rest.Any(char.IsUpper))
        {
            error = Fail($"repository '{rest}' must be lowercase");
            return false;
        }
        if (!PathPattern().IsMatch(rest))
        {
            error = Fail($"repository '{rest}' may hold only lowercase letters, digits and separators ('.', '_', '__', '-', '/') between them");
            return false;
        }
        if (registry == DockerHub && !rest.Contains('/')) rest = "library/" + rest;
        if (registry.Length + 1 + rest.Length > 255)
        {
            error = Fail("the name is longer than 255 characters");
            return false;
        }

        reference = new ImageReference(registry, rest, tag, digest);
        error = null;
        return true;
    }

    [GeneratedRegex("^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex PathPattern();

    // sha256 and sha512 have a fixed length; other registered algorithms are passed through unchecked.
    private static bool HasValidEncodedLength(string digest)
    {
        var colon = digest.IndexOf(':');
        var algorithm = digest[..colon];
        var encoded = digest[(colon + 1)..];
        return algorithm switch
        {
            "sha256" => encoded.Length == 64 && encoded.All(IsLowerHex),
            "sha512" => encoded.Length == 128 && encoded.All(IsLowerHex),
            _ => true,
        };
    }

    private static bool IsLowerHex(char c) => c is (>= '0' and <= '9') or (>= 'a' and <= 'f');

    // ASCII only: \w would also accept non-ASCII letters, which registries reject.
    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex("^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$")]
    private static partial Regex DigestPattern();

    [GeneratedRegex(@"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$")]
    private static partial Regex DomainPattern();
}
