using Orchestrator.Hosting;
using System.CommandLine;
using System.Text;
using System.Text.RegularExpressions;
using Orchestrator.Cli;

namespace Orchestrator.Tests.Cli;

/// <summary>
/// A <c>dotnet orchestrate …</c> command line found in a CI file, split into words the way a shell would
/// (quotes, backslash-newline; CI expressions such as <c>${{ github.sha }}</c> stand for one word), and checked
/// against the CLI's own command tree: it must parse without errors and every <c>--flag</c> must be an option
/// of the command it lands on.
/// </summary>
internal sealed partial record CiCommandLine(string Text, IReadOnlyList<string> Arguments)
{
    private static readonly string[] ShellOperators = ["|", "||", "&&", ";", ">", ">>", "2>", "<"];

    /// <summary>Every <c>dotnet orchestrate</c> invocation in <paramref name="script"/> (one shell script, possibly several lines).</summary>
    public static IEnumerable<CiCommandLine> Find(string script)
    {
        var joined = script.Replace("\\\r\n", " ").Replace("\\\n", " ");
        foreach (var line in joined.Split('\n'))
        {
            var words = Split(GitHubExpression().Replace(line, "EXPRESSION"));
            for (var i = 0; i + 1 < words.Count; i++)
            {
                if (words[i] != "dotnet" || words[i + 1] != "orchestrate") continue;
                var arguments = words.Skip(i + 2).TakeWhile(w => !ShellOperators.Contains(w)).ToList();
                yield return new CiCommandLine(line.Trim(), arguments);
            }
        }
    }

    /// <summary>What is wrong with the command line for the CLI: parse errors and flags the command does not have; empty when it is fine.</summary>
    public IReadOnlyList<string> Problems()
    {
        var root = CliApp.CreateCommandTree(TextWriter.Null, TextWriter.Null, ScriptRecipes.LoadAsync, BuildHost.CreateExecutor);
        var parsed = root.Parse(Arguments.ToArray());
        var problems = parsed.Errors.Select(e => e.Message).ToList();
        var known = new HashSet<string>(StringComparer.Ordinal);
        for (var command = parsed.CommandResult; command is not null; command = command.Parent as System.CommandLine.Parsing.CommandResult)
            foreach (var option in command.Command.Options)
            {
                known.Add(option.Name);
                foreach (var alias in option.Aliases) known.Add(alias);
            }
        foreach (var word in Arguments.Where(w => w.StartsWith("--", StringComparison.Ordinal)))
        {
            var flag = word.Split('=', 2)[0];
            if (!known.Contains(flag)) problems.Add($"'{flag}' is not an option of 'dotnet orchestrate {parsed.CommandResult.Command.Name}'");
        }
        return problems;
    }

    /// <summary>The value the CLI's parser gives <paramref name="option"/> (e.g. <c>--backend</c>).</summary>
    public string? Value(string option)
    {
        var root = CliApp.CreateCommandTree(TextWriter.Null, TextWriter.Null, ScriptRecipes.LoadAsync, BuildHost.CreateExecutor);
        return root.Parse(Arguments.ToArray()).GetValue<string>(option);
    }

    private static List<string> Split(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\'' )
            {
                var end = line.IndexOf('\'', i + 1);
                if (end < 0) end = line.Length;
                word.Append(line, i + 1, end - i - 1);
                i = end;
                inWord = true;
            }
            else if (c == '"')
            {
                var end = i + 1;
                while (end < line.Length && line[end] != '"') end += line[end] == '\\' ? 2 : 1;
                word.Append(line, i + 1, Math.Min(end, line.Length) - i - 1);
                i = end;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
            else if (c == '#' && !inWord)
            {
                break;
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }

    [GeneratedRegex(@"\$\{\{[^}]*\}\}")]
    private static partial Regex GitHubExpression();
}
