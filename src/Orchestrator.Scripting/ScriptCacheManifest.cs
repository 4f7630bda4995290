using System.Text;

namespace Orchestrator.Scripting;

/// <summary>
/// <c>manifest.txt</c> of a compiled-script cache entry: the emitted files with their hashes (so a corrupt
/// entry is detected), the factory to call, and every input the script was compiled from. A plain
/// tab-separated text — one record per line — because a cache hit must start fast and a JSON
/// serializer costs more to load than the whole lookup.
/// </summary>
/// <example><code>
/// orchestrator-script-cache	1
/// entry	Submission#0	&lt;Factory&gt;
/// assembly	sha256:…	script.dll
/// symbols	sha256:…	script.pdb
/// source	sha256:…	/src/build.csx
/// reference	sha256:…	/src/tools/Helpers.dll
/// </code></example>
internal sealed record ScriptCacheManifest(
    string EntryType,
    string EntryMethod,
    ScriptInput Assembly,
    ScriptInput Symbols,
    IReadOnlyList<ScriptInput> Sources,
    IReadOnlyList<ScriptInput> References)
{
    private const string Header = "orchestrator-script-cache\t1";

    /// <summary>Whether every path can be written on one line of the manifest.</summary>
    public bool IsRepresentable =>
        Sources.Concat(References).Append(Assembly).Append(Symbols)
            .All(i => i.Path.IndexOfAny(['\t', '\n', '\r']) < 0)
        && (EntryType + EntryMethod).IndexOfAny(['\t', '\n', '\r']) < 0;

    public string Format()
    {
        var text = new StringBuilder().Append(Header).Append('\n');
        text.Append("entry\t").Append(EntryType).Append('\t').Append(EntryMethod).Append('\n');
        Line(text, "assembly", Assembly);
        Line(text, "symbols", Symbols);
        foreach (var source in Sources) Line(text, "source", source);
        foreach (var reference in References) Line(text, "reference", reference);
        return text.ToString();
    }

    /// <summary>The manifest in <paramref name="text"/>, or null when it is not a complete manifest of this format.</summary>
    public static ScriptCacheManifest? Parse(string text)
    {
        var lines = text.Split('\n');
        if (lines.Length < 2 || lines[0] != Header || lines[^1] != "") return null;
        string? entryType = null, entryMethod = null;
        ScriptInput? assembly = null, symbols = null;
        var sources = new List<ScriptInput>();
        var references = new List<ScriptInput>();
        foreach (var line in lines.AsSpan(1, lines.Length - 2))
        {
            var fields = line.Split('\t', 3);
            if (fields.Length != 3) return null;
            switch (fields[0])
            {
                case "entry": (entryType, entryMethod) = (fields[1], fields[2]); break;
                case "assembly": assembly = new ScriptInput(fields[2], fields[1]); break;
                case "symbols": symbols = new ScriptInput(fields[2], fields[1]); break;
                case "source": sources.Add(new ScriptInput(fields[2], fields[1])); break;
                case "reference": references.Add(new ScriptInput(fields[2], fields[1])); break;
                default: return null;
            }
        }
        if (entryType is null || entryMethod is null || assembly is null || symbols is null || sources.Count == 0) return null;
        return new ScriptCacheManifest(entryType, entryMethod, assembly, symbols, sources, references);
    }

    private static void Line(StringBuilder text, string kind, ScriptInput input) =>
        text.Append(kind).Append('\t').Append(input.Sha256).Append('\t').Append(input.Path).Append('\n');
}
