using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Orchestrator.Recipes;

namespace Orchestrator.Dockerfiles;

/// <summary>What <see cref="RecipeScriptWriter"/> needs besides the parsed Dockerfile.</summary>
/// <param name="DockerfileText">The Dockerfile as written: comments and the ARGs of FROM lines come from it.</param>
/// <param name="ImageName">The name of the image recipe (the target stage).</param>
/// <param name="Context">The build context relative to the script's folder ("." for the same folder).</param>
public sealed record RecipeScriptSource(string DockerfileText, string ImageName, string Context);

/// <summary>
/// Writes a parsed Dockerfile as a <c>build.csx</c> recipe that builds the same image: each needed stage becomes
/// <c>Stage(...)</c> (the target <c>Image(...)</c>), each instruction the DSL call that records the same step, and
/// comments that sit right above an instruction stay above its call. Values are the parser's, expanded with the
/// build args of the conversion; the global ARGs a FROM line uses become <c>Arg(...)</c> variables, so the base
/// can still be chosen with <c>--build-arg</c>.
/// </summary>
public static partial class RecipeScriptWriter
{
    public static string Write(DockerfileDocument document, RecipeScriptSource source, string? target = null)
    {
        var stages = NeededStages(document, target);
        var text = new StringBuilder();
        var comments = CommentsByLine(source.DockerfileText);
        var (lines, _, _) = DockerfileReader.Read(source.DockerfileText, "Dockerfile");
        var written = new WrittenLines(lines);
        var variables = new VariableNames();
        var globals = document.GlobalArgs.ToDictionary(a => a.Name, a => a, StringComparer.Ordinal);
        var usedGlobals = stages.SelectMany(s => written.From.TryGetValue(s.Location.Line, out var from) ? ReferencedArgs(from.Image).Concat(ReferencedArgs(from.Platform ?? "")) : [])
            .Where(globals.ContainsKey).Distinct().ToList();

        text.Append("// Converted from a Dockerfile by `dotnet orchestrate convert`: it builds the same image.\n");
        var globalVariables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var arg in document.GlobalArgs)
        {
            AppendComments(text, comments, arg.Location.Line, "");
            if (!usedGlobals.Contains(arg.Name)) continue;
            var variable = variables.For(arg.Name, "Arg");
            globalVariables[arg.Name] = variable;
            var declared = written.ArgDefault(arg.Location.Line);
            text.Append("var ").Append(variable).Append(" = Arg(").Append(Literal(arg.Name));
            if (declared is not null) text.Append(", ").Append(Literal(arg.Value ?? ""));
            text.Append(");\n");
        }
        if (document.GlobalArgs.Count > 0) text.Append('\n');

        var stageVariables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var stage in stages)
        {
            var writer = new StageWriter(stage, source, comments, stageVariables, globalVariables, written);
            var variable = variables.For(stage.IsImage ? source.ImageName : stage.Name, "Stage");
            stageVariables[stage.Name] = variable;
            writer.Write(text, variable);
            text.Append('\n');
        }
        return text.ToString();
    }

    private static List<StageRecipe> NeededStages(DockerfileDocument document, string? target)
    {
        if (document.Stages.Count == 0) throw new OrchestratorException("the Dockerfile has no FROM instruction; there is nothing to convert");
        var targetStage = target is null ? document.Stages[^1] : document.Stages.FirstOrDefault(s => s.Name == target)
            ?? throw new OrchestratorException($"target stage '{target}' not found in the Dockerfile; its stages are: {string.Join(", ", document.Stages.Select(s => s.Name))}");
        var needed = DockerfileImport.NeededBy(document, targetStage);
        return document.Stages.Where(s => needed.Contains(s.Name))
            .Select(s => s with { IsImage = ReferenceEquals(s, targetStage) }).ToList();
    }

    private sealed class StageWriter(
        StageRecipe stage, RecipeScriptSource source, IReadOnlyDictionary<int, List<string>> comments,
        IReadOnlyDictionary<string, string> stages, IReadOnlyDictionary<string, string> globals, WrittenLines written)
    {
        private const string Indent = "    ";

        public void Write(StringBuilder text, string variable)
        {
            AppendComments(text, comments, stage.Location.Line, "");
            text.Append("var ").Append(variable).Append(" = ")
                .Append(stage.IsImage ? "Image(" + Literal(source.ImageName) + ")" : "Stage(" + Literal(stage.Name) + ")");
            written.From.TryGetValue(stage.Location.Line, out var from);
            Call(text, "From" + (stage.Base switch
            {
                ImageSource.Scratch => "Scratch()",
                ImageSource.Stage s => "(" + StageVariable(s) + ")",
                ImageSource.Registry r => "(" + Interpolated(from?.Image, r.Reference) + ")",
                _ => throw Unsupported($"FROM {stage.Base}"),
            }));
            if (stage.Platform is { } platform) Call(text, "Platform(" + Interpolated(from?.Platform, platform) + ")");
            if (source.Context != ".") Call(text, "Context(" + Literal(source.Context) + ")");
            foreach (var instruction in stage.Instructions)
            {
                text.Append('\n');
                AppendComments(text, comments, instruction.Location.Line, Indent);
                text.Append(Indent).Append('.').Append(Call(instruction));
            }
            text.Append(";\n");
        }

        private static void Call(StringBuilder text, string call) => text.Append('\n').Append(Indent).Append('.').Append(call);

        private string Call(Instruction instruction) => instruction switch
        {
            RunInstruction run => Run(run),
            CopyInstruction copy => Copy(copy),
            AddInstruction add => Add(add),
            EnvInstruction { Variables.Count: 1 } env => $"Env({Literal(env.Variables[0].Key)}, {Literal(env.Variables[0].Value)})",
            EnvInstruction env => "Env(" + string.Join(", ", env.Variables.Select(v => $"({Literal(v.Key)}, {Literal(v.Value)})")) + ")",
            LabelInstruction { Labels.Count: 1 } label => $"Label({Literal(label.Labels[0].Key)}, {Literal(label.Labels[0].Value)})",
            LabelInstruction label => "Label(" + string.Join(", ", label.Labels.Select(v => $"({Literal(v.Key)}, {Literal(v.Value)})")) + ")",
            ArgInstruction arg => BuildArg(arg),
            WorkdirInstruction workdir => $"Workdir({Literal(workdir.Path)})",
            UserInstruction user => $"User({Literal(user.User)})",
            ExposeInstruction expose => "Expose(" + Literals(expose.Ports) + ")",
            VolumeInstruction volume => "Volume(" + Literals(volume.Paths) + ")",
            EntrypointInstruction { Command.IsShellForm: true } e => $"EntrypointShell({Literal(e.Command.ShellText)})",
            EntrypointInstruction e => "Entrypoint(" + Literals(e.Command.Arguments) + ")",
            CmdInstruction { Command.IsShellForm: true } c => $"CmdShell({Literal(c.Command.ShellText)})",
            CmdInstruction c => "Cmd(" + Literals(c.Command.Arguments) + ")",
            HealthcheckInstruction healthcheck => Healthcheck(healthcheck),
            StopSignalInstruction signal => $"StopSignal({Literal(signal.Signal)})",
            ShellInstruction shell => "Shell(" + Literals(shell.Shell) + ")",
            OnbuildInstruction onbuild => $"OnBuild({Literal(onbuild.Trigger)})",
            MaintainerInstruction maintainer => $"Maintainer({Literal(maintainer.Maintainer)})",
            _ => throw Unsupported(instruction.Keyword),
        };

        private string BuildArg(ArgInstruction arg)
        {
            // `ARG NAME` in a stage takes the global ARG's value: keep that link, so --build-arg still reaches both.
            if (globals.TryGetValue(arg.Name, out var global) && written.ArgDefault(arg.Location.Line) is null)
                return $"BuildArg({Literal(arg.Name)}, {global})";
            return arg.Value is null ? $"BuildArg({Literal(arg.Name)})" : $"BuildArg({Literal(arg.Name)}, {Literal(arg.Value)})";
        }

        private string Run(RunInstruction run)
        {
            var command = run.Command.IsShellForm ? Literal(run.Command.ShellText) : run.Options.IsDefault ? Literals(run.Command.Arguments) : "[" + Literals(run.Command.Arguments) + "]";
            if (run.Options.IsDefault) return $"Run({command})";
            var options = new StringBuilder("o => o");
            if (!run.Options.Network) options.Append(".Network(false)");
            foreach (var secret in run.Options.Secrets)
                options.Append(".Secret(").Append(Literal(secret.Id)).Append(secret.Target is null ? "" : ", " + Literal(secret.Target)).Append(secret.Required ? ", required: true" : "").Append(')');
            foreach (var cache in run.Options.CacheMounts)
                options.Append(".CacheMount(").Append(Literal(cache.Target)).Append(cache.Id is null ? "" : ", id: " + Literal(cache.Id)).Append(cache.Sharing == "shared" ? "" : ", sharing: " + Literal(cache.Sharing))
                    .Append(cache.Uid is { } uid ? ", uid: " + uid : "").Append(cache.Gid is { } gid ? ", gid: " + gid : "").Append(cache.Mode is { } mode ? ", mode: " + Literal(mode) : "").Append(')');
            foreach (var bind in run.Options.Binds)
            {
                options.Append(".Bind(").Append(Literal(bind.Source ?? ".")).Append(", ").Append(Literal(bind.Target));
                if (bind.From is not null) options.Append(", ").Append(ImageOrStage(bind.From, "RUN --mount=type=bind,from"));
                options.Append(bind.ReadWrite ? ", readWrite: true" : "").Append(')');
            }
            foreach (var tmpfs in run.Options.TmpfsMounts)
                options.Append(".Tmpfs(").Append(Literal(tmpfs.Target)).Append(tmpfs.Size is { } size ? ", " + size.ToString(CultureInfo.InvariantCulture) : "").Append(')');
            foreach (var ssh in run.Options.SshMounts)
                options.Append(".Ssh(").Append(Literal(ssh.Id)).Append(ssh.Target is null ? "" : ", " + Literal(ssh.Target)).Append(ssh.Required ? ", required: true" : "").Append(')');
            return $"Run({command}, {options})";
        }

        private string Copy(CopyInstruction copy)
        {
            var flags = Flags(("chown", copy.Chown), ("chmod", copy.Chmod)) + (copy.Link ? ", link: true" : "");
            if (copy.Inline.Count > 0)
            {
                if (copy.From is not null) throw Unsupported("COPY --from with here-documents");
                if (copy.Sources.Count == 0 && copy.Inline.Count == 1 && !copy.Link)
                    return $"CopyText({Literal(copy.Inline[0].Content)}, {Literal(copy.Destination)}{flags}, name: {Literal(copy.Inline[0].Name)})";
                return $"CopyText({Documents(copy.Inline)}, {Literal(copy.Destination)}{Sources(copy.Sources)}{flags})";
            }
            var sources = copy.Sources.Count == 1 ? Literal(copy.Sources[0]) : "[" + Literals(copy.Sources) + "]";
            return copy.From is null
                ? $"Copy({sources}, {Literal(copy.Destination)}{flags})"
                : $"CopyFrom({ImageOrStage(copy.From, "COPY --from")}, {sources}, {Literal(copy.Destination)}{flags})";
        }

        private string Add(AddInstruction add)
        {
            var flags = Flags(("chown", add.Chown), ("chmod", add.Chmod)) + (add.Link ? ", link: true" : "");
            if (add.Inline.Count > 0)
            {
                if (add.Checksum is not null) throw Unsupported("ADD --checksum with here-documents");
                return $"AddText({Documents(add.Inline)}, {Literal(add.Destination)}{Sources(add.Sources)}{flags})";
            }
            var sources = add.Sources.Count == 1 ? Literal(add.Sources[0]) : "[" + Literals(add.Sources) + "]";
            return $"Add({sources}, {Literal(add.Destination)}{flags}{(add.Checksum is null ? "" : ", checksum: " + Literal(add.Checksum))})";
        }

        private static string Documents(IEnumerable<InlineFile> files) =>
            "[" + string.Join(", ", files.Select(f => $"({Literal(f.Name)}, {Literal(f.Content)})")) + "]";

        private static string Sources(IReadOnlyCollection<string> sources) => sources.Count == 0 ? "" : ", sources: [" + Literals(sources) + "]";

        private static string Flags(params (string Name, string? Value)[] flags) =>
            string.Concat(flags.Where(f => f.Value is not null).Select(f => $", {f.Name}: {Literal(f.Value!)}"));

        private static string Healthcheck(HealthcheckInstruction healthcheck)
        {
            if (healthcheck.Test is null) return "HealthcheckNone()";
            var call = new StringBuilder("Healthcheck(");
            call.Append(healthcheck.Test.IsShellForm ? Literal(healthcheck.Test.ShellText) : "[" + Literals(healthcheck.Test.Arguments) + "]");
            void Duration(string name, TimeSpan? value)
            {
                if (value is { } v) call.Append(", ").Append(name).Append(": TimeSpan.FromMilliseconds(").Append(v.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)).Append(')');
            }
            Duration("interval", healthcheck.Interval);
            Duration("timeout", healthcheck.Timeout);
            Duration("startPeriod", healthcheck.StartPeriod);
            if (healthcheck.Retries is { } retries) call.Append(", retries: ").Append(retries.ToString(CultureInfo.InvariantCulture));
            Duration("startInterval", healthcheck.StartInterval);
            return call.Append(')').ToString();
        }

        private string ImageOrStage(ImageSource image, string what) => image switch
        {
            ImageSource.Stage s => StageVariable(s),
            ImageSource.Registry r => Literal(r.Reference),
            ImageSource.Layout l => Literal(l.ToString()),
            _ => throw Unsupported($"{what}={image}"),
        };

        private string StageVariable(ImageSource.Stage stage) =>
            stages.TryGetValue(stage.Name, out var variable) ? variable : throw Unsupported($"a reference to stage '{stage.Name}' before it is written");

        /// <summary>A FROM value as written, with the global ARGs it names as C# interpolations, when it only uses plain <c>$NAME</c>/<c>${NAME}</c> forms of them.</summary>
        private string Interpolated(string? written, string expanded)
        {
            if (written is null || !written.Contains('$')) return Literal(expanded);
            var names = ReferencedArgs(written).ToList();
            if (names.Any(n => !globals.ContainsKey(n)) || OtherExpansion().IsMatch(written)) return Literal(expanded);
            if (PlainReference().Match(written) is { Success: true } whole && whole.Length == written.Length) return globals[whole.Groups[1].Success ? whole.Groups[1].Value : whole.Groups[2].Value];
            var text = new StringBuilder("$\"");
            var last = 0;
            foreach (Match match in PlainReference().Matches(written))
            {
                text.Append(EscapeInterpolated(written[last..match.Index])).Append('{').Append(globals[match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value]).Append('}');
                last = match.Index + match.Length;
            }
            return text.Append(EscapeInterpolated(written[last..])).Append('"').ToString();
        }

        private OrchestratorException Unsupported(string what) =>
            new($"{stage.Location}: {what} has no recipe form yet; keep this stage as a Dockerfile and use it with Dockerfile(\"…\") in the script");
    }

    /// <summary>The image word and platform of a FROM line as written.</summary>
    private sealed record FromArguments(string Image, string? Platform);

    /// <summary>What the Dockerfile's lines say before expansion: FROM words and ARG defaults, by line number.</summary>
    private sealed class WrittenLines
    {
        private readonly Dictionary<int, string> _args = [];

        public WrittenLines(IEnumerable<LogicalLine> lines)
        {
            foreach (var line in lines)
            {
                if (line.Keyword.Equals("ARG", StringComparison.OrdinalIgnoreCase))
                {
                    _args[line.Line] = line.Arguments;
                }
                else if (line.Keyword.Equals("FROM", StringComparison.OrdinalIgnoreCase))
                {
                    var words = line.Arguments.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                    var platform = words.Where(w => w.StartsWith("--platform=", StringComparison.Ordinal)).Select(w => w["--platform=".Length..]).FirstOrDefault();
                    var image = words.FirstOrDefault(w => !w.StartsWith("--", StringComparison.Ordinal));
                    if (image is not null) From[line.Line] = new FromArguments(image, platform);
                }
            }
        }

        public Dictionary<int, FromArguments> From { get; } = [];

        /// <summary>The text after '=' of the ARG on <paramref name="line"/>, or null for <c>ARG NAME</c>.</summary>
        public string? ArgDefault(int line) =>
            _args.TryGetValue(line, out var arguments) && arguments.IndexOf('=') is var equals and >= 0 ? arguments[(equals + 1)..] : null;
    }

    private static IEnumerable<string> ReferencedArgs(string written) =>
        AnyReference().Matches(written).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value);

    /// <summary>Comment lines right above each line (no blank line between), parser directives left out.</summary>
    private static Dictionary<int, List<string>> CommentsByLine(string dockerfileText)
    {
        var lines = dockerfileText.Replace("\r\n", "\n").Split('\n');
        var result = new Dictionary<int, List<string>>();
        var pending = new List<string>();
        var inDirectives = true;
        for (var i = 0; i < lines.Length; i++)
        {
            var trimmed = lines[i].Trim();
            if (inDirectives && Directive().IsMatch(trimmed)) continue;
            inDirectives = false;
            if (trimmed.StartsWith('#'))
            {
                pending.Add(trimmed[1..].TrimStart());
                continue;
            }
            if (pending.Count > 0 && trimmed.Length > 0) result[i + 1] = pending;
            pending = [];
        }
        return result;
    }

    private static void AppendComments(StringBuilder text, IReadOnlyDictionary<int, List<string>> comments, int line, string indent)
    {
        if (!comments.TryGetValue(line, out var lines)) return;
        foreach (var comment in lines) text.Append(indent).Append("// ").Append(comment).Append('\n');
    }

    private static string Literals(IEnumerable<string> values) => string.Join(", ", values.Select(Literal));

    /// <summary>A C# string literal of <paramref name="value"/>.</summary>
    public static string Literal(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var c in value)
        {
            text.Append(c switch
            {
                '\\' => "\\\\",
                '"' => "\\\"",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\0' => "\\0",
                _ when char.IsControl(c) => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }
        return text.Append('"').ToString();
    }

    private static string EscapeInterpolated(string text) => Literal(text)[1..^1].Replace("{", "{{").Replace("}", "}}");

    /// <summary>C# variable names for stage and argument names: camelCase, never a keyword, never twice.</summary>
    private sealed class VariableNames
    {
        private readonly HashSet<string> _taken = new(StringComparer.Ordinal);

        /// <param name="kind">Added to a name that would be a C# keyword (<c>base</c> → <c>baseArg</c>).</param>
        public string For(string name, string kind)
        {
            var words = Regex.Split(name, "[^A-Za-z0-9]+").Where(w => w.Length > 0).ToList();
            var candidate = string.Concat(words.Select((w, i) => i == 0 ? w.ToLowerInvariant() : char.ToUpperInvariant(w[0]) + w[1..].ToLowerInvariant()));
            if (candidate.Length == 0 || !char.IsAsciiLetter(candidate[0])) candidate = kind.ToLowerInvariant() + candidate;
            if (Keywords.Contains(candidate)) candidate += kind;
            var unique = candidate;
            for (var n = 2; !_taken.Add(unique); n++) unique = candidate + n.ToString(CultureInfo.InvariantCulture);
            return unique;
        }

        private static readonly HashSet<string> Keywords =
        [
            "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue", "decimal",
            "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally", "fixed", "float", "for",
            "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock", "long", "namespace", "new", "null", "object",
            "operator", "out", "override", "params", "private", "protected", "public", "readonly", "ref", "return", "sbyte", "sealed", "short",
            "sizeof", "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked",
            "unsafe", "ushort", "using", "virtual", "void", "volatile", "while", "var", "await", "async", "record", "file", "scoped",
        ];
    }

    [GeneratedRegex(@"^#\s*(syntax|escape|check)\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex Directive();

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex PlainReference();

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex AnyReference();

    [GeneratedRegex(@"\$\{[A-Za-z_][A-Za-z0-9_]*[^A-Za-z0-9_}]")]
    private static partial Regex OtherExpansion();
}
