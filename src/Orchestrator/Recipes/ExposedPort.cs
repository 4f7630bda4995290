using System.Globalization;

namespace Orchestrator.Recipes;

/// <summary>
/// What <c>EXPOSE</c> puts into the image config, read as Docker reads it: <c>80</c> is <c>80/tcp</c>, a protocol is
/// <c>tcp</c>, <c>udp</c> or <c>sctp</c> (any case), a range <c>8000-8002/udp</c> is each of its ports, and of a mapping
/// (<c>8080:80</c>, <c>127.0.0.1:8080:80/tcp</c>) only the container's side counts.
/// </summary>
public static class ExposedPort
{
    private static readonly string[] Protocols = ["tcp", "udp", "sctp"];

    /// <summary>The config keys of one EXPOSE word (<c>8000/udp</c>, <c>8001/udp</c>, …), or why it is not a port.</summary>
    public static bool TryExpand(string spec, out IReadOnlyList<string> keys, out string error)
    {
        keys = [];
        var slash = spec.LastIndexOf('/');
        var protocol = slash < 0 ? "tcp" : spec[(slash + 1)..].ToLowerInvariant();
        var mapping = slash < 0 ? spec : spec[..slash];
        if (!Protocols.Contains(protocol))
        {
            error = $"EXPOSE '{spec}': protocol '{protocol}' is not tcp, udp or sctp";
            return false;
        }
        var container = mapping[(mapping.LastIndexOf(':') + 1)..];
        var dash = container.IndexOf('-');
        if (!TryPort(dash < 0 ? container : container[..dash], out var first) || !TryPort(dash < 0 ? container : container[(dash + 1)..], out var last))
        {
            error = $"EXPOSE '{spec}': '{container}' is not a port (0-65535) or a range of ports (8000-8010)";
            return false;
        }
        if (last < first)
        {
            error = $"EXPOSE '{spec}': the range {container} ends before it starts";
            return false;
        }
        keys = [.. Enumerable.Range(first, last - first + 1).Select(port => $"{port}/{protocol}")];
        error = "";
        return true;
    }

    /// <summary>The config keys of one EXPOSE word; throws with the reason when it is not a port.</summary>
    public static IReadOnlyList<string> Expand(string spec) =>
        TryExpand(spec, out var keys, out var error) ? keys : throw new OrchestratorException(error);

    private static bool TryPort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535;
}
