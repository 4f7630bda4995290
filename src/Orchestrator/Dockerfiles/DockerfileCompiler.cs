using System.Globalization;
using System.Text.RegularExpressions;
using Orchestrator.Oci;
using Orchestrator.Recipes;

namespace Orchestrator.Dockerfiles;

/// <summary>
/// Turns logical lines into stages. Scoping follows Docker: ARGs before the first FROM live in the global
/// scope and are visible only in FROM lines (a stage sees one after redeclaring it with <c>ARG NAME</c>);
/// inside a stage, ENV wins over an ARG of the same name; a stage built FROM an earlier stage starts with
/// that stage's ENV.
/// </summary>
internal sealed partial class DockerfileCompiler(string path, char escape, DockerfileParserOptions options)
{
    private readonly IReadOnlyDictionary<string, string> _buildArgs = options.BuildArgs;
    private readonly List<UnresolvedVariable> _unresolved = [];

    private static readonly HashSet<string> Keywords =
    [
        "FROM", "RUN", "CMD", "ENTRYPOINT", "COPY", "ADD", "ENV", "ARG", "LABEL", "WORKDIR", "USER", "EXPOSE",
        "VOLUME", "HEALTHCHECK", "SHELL", "STOPSIGNAL", "ONBUILD", "MAINTAINER",
    ];

    private readonly Dictionary<string, string?> _globalScope = PlatformArgs.For(options.TargetPlatform).ToDictionary(p => p.Key, p => (string?)p.Value, StringComparer.Ordinal);
    private readonly List<ArgInstruction> _globalArgs = [];

    /// <summary>ARG values named stages start with (the <c>orchestratorargs</c> directive), when their base is not a stage.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> InheritedArgs { get; init; } = new Dictionary<string, IReadOnlyDictionary<string, string>>();
    private readonly List<StageRecipe> _stages = [];
    private readonly Dictionary<string, Dictionary<string, string>> _stageEnv = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _stageArgs = new(StringComparer.Ordinal);
    private StageState? _stage;

    public void Add(LogicalLine line)
    {
        var at = new SourceLocation(path, line.Line, line.Keyword);
        if (!Keywords.Contains(line.Keyword))
            throw DockerfileParser.Error(at, $"unknown instruction '{line.Keyword}'; Dockerfile instructions are {string.Join(", ", Keywords)}");
        if (line.Heredocs.Count > 0 && line.Keyword is not ("RUN" or "COPY" or "ADD"))
            throw DockerfileParser.Error(at, $"{line.Keyword} does not take a here-document; only RUN, COPY and ADD do");

        if (line.Keyword == "FROM")
        {
            FinishStage();
            StartStage(line, at);
            return;
        }
        if (_stage is null)
        {
            if (line.Keyword != "ARG")
                throw DockerfileParser.Error(at, $"{line.Keyword} comes before the first FROM; only ARG may appear before FROM");
            _globalArgs.AddRange(CompileGlobalArgs(line.Arguments, at));
            return;
        }
        _stage.Instructions.AddRange(Compile(line, at, _stage));
    }

    public DockerfileDocument Finish()
    {
        FinishStage();
        if (_stages.Count == 0)
            throw DockerfileParser.Error(new SourceLocation(path, 1, "FROM"), "the Dockerfile has no FROM instruction; start a stage with FROM image[:tag]");
        return new DockerfileDocument(_stages.ToEquatableArray(), _globalArgs.ToEquatableArray()) { UnresolvedVariables = _unresolved.ToEquatableArray() };
    }

    private void StartStage(LogicalLine line, SourceLocation at)
    {
        var flags = InstructionFlags.Parse(line.Arguments, escape, at, ["platform"]);
        var globalExpander = GlobalExpander(at);
        var words = DockerfileWords.SplitWhitespace(flags.Rest);
        if (words.Length is not (1 or 3) || words.Length == 3 && !words[1].Equals("AS", StringComparison.OrdinalIgnoreCase))
            throw DockerfileParser.Error(at, "FROM takes an image and an optional stage name: FROM [--platform=os/arch] image[:tag] [AS name]");

        var index = _stages.Count;
        var name = index.ToString(CultureInfo.InvariantCulture);
        if (words.Length == 3)
        {
            name = words[2].ToLowerInvariant();
            if (!StageName().IsMatch(name))
                throw DockerfileParser.Error(at, $"invalid stage name '{words[2]}': start with a letter and use letters, digits, '-', '_' and '.'");
            if (_stages.FirstOrDefault(s => s.Name == name) is { } duplicate)
                throw DockerfileParser.Error(at, $"stage name '{name}' is already used by the stage at line {duplicate.Location.Line}; give each stage its own name");
        }

        var image = Expand(globalExpander, words[0], at);
        if (image.Length == 0)
            throw DockerfileParser.Error(at, $"the base image '{words[0]}' expands to nothing; declare its ARG before the first FROM with a default, or pass --build-arg");
        var platformFlag = flags.Value("platform", at);
        var platform = platformFlag is null ? null : Expand(globalExpander, platformFlag, at);

        var baseSource = ResolveSource(image, index, at, "FROM", byIndex: false);
        var baseEnv = baseSource switch
        {
            ImageSource.Stage s => _stageEnv[s.Name],
            ImageSource.Registry r => options.BaseImageEnvironment?.Invoke(r.Reference),
            ImageSource.Scratch => new Dictionary<string, string>(StringComparer.Ordinal),
            _ => null,
        };
        var env = new Dictionary<string, string>(baseEnv ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        // Like BuildKit: a stage whose base sets no PATH gets Docker's, so `ENV PATH=/opt/bin:$PATH` keeps it. A base
        // whose config could not be read stays unknown.
        if (baseEnv is not null) env.TryAdd("PATH", Oci.Documents.ContainerConfig.DefaultPath);
        _stage = new StageState(name, baseSource, at, string.IsNullOrEmpty(platform) ? null : platform, env);
        // BuildKit 0.11 adds every ARG value to the stage's environment, which a stage built FROM it starts with.
        if (baseSource is ImageSource.Stage parent)
            foreach (var (arg, value) in _stageArgs[parent.Name]) _stage.SetArg(arg, value);
        else if (InheritedArgs.TryGetValue(name, out var inherited))
            foreach (var (arg, value) in inherited) _stage.SetArg(arg, value);
    }

    private void FinishStage()
    {
        if (_stage is null) return;
        _stages.Add(new StageRecipe(_stage.Name, false, _stage.Base, _stage.Instructions.ToEquatableArray(), _stage.Location)
        {
            Platform = _stage.Platform,
            InheritedArgs = _stage.Base is ImageSource.Stage || !InheritedArgs.TryGetValue(_stage.Name, out var inherited)
                ? []
                : inherited.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => new ArgInstruction(a.Key, a.Value)).ToEquatableArray(),
        });
        _stageEnv[_stage.Name] = _stage.Env;
        _stageArgs[_stage.Name] = _stage.ArgValues;
        _stage = null;
    }

    /// <summary>A stage by name or (for COPY --from) index among the earlier stages, <c>scratch</c>, or an image reference.</summary>
    private ImageSource ResolveSource(string text, int currentIndex, SourceLocation at, string what, bool byIndex)
    {
        var lowered = text.ToLowerInvariant();
        if (_stages.FirstOrDefault(s => s.Name == lowered && !IsIndexName(s.Name)) is { } named) return new ImageSource.Stage(named.Name);
        if (byIndex && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            if (index < currentIndex) return new ImageSource.Stage(_stages[index].Name);
            throw DockerfileParser.Error(at, $"{what} refers to stage {index}, but only stages 0 to {currentIndex - 1} come before it; a stage can only use earlier stages");
        }
        if (lowered == "scratch") return ImageSource.Scratch.Instance;
        if (_stage?.Name == lowered)
            throw DockerfileParser.Error(at, $"{what} refers to its own stage '{lowered}'; a stage can only use earlier stages");
        if (!ImageReference.TryParse(text, out _, out var error))
            throw DockerfileParser.Error(at, $"{what} '{text}' is neither an earlier stage nor a valid image reference ({error}); stages defined so far: {StageList()}");
        return new ImageSource.Registry(text);
    }

    private string StageList() => _stages.Count == 0 ? "none" : string.Join(", ", _stages.Select(s => s.Name));

    private static bool IsIndexName(string name) => name.Length > 0 && char.IsAsciiDigit(name[0]);

    private IEnumerable<Instruction> Compile(LogicalLine line, SourceLocation at, StageState stage)
    {
        var expander = StageExpander(stage, at);
        Instruction Located(Instruction i) => i with { Location = at };
        switch (line.Keyword)
        {
            case "RUN":
                return [Located(CompileRun(line, at, expander))];
            case "CMD":
                return [Located(new CmdInstruction(ParseCommand(NoFlags(line, at), at)))];
            case "ENTRYPOINT":
                return [Located(new EntrypointInstruction(ParseCommand(NoFlags(line, at), at)))];
            case "COPY":
            case "ADD":
                return [Located(CompileCopy(line, at, expander, stage))];
            case "ENV":
            {
                var variables = ParsePairs(NoFlags(line, at), at, expander);
                foreach (var (key, value) in variables) stage.Env[key] = value;
                return [Located(new EnvInstruction(variables.ToEquatableArray()))];
            }
            case "LABEL":
                return [Located(new LabelInstruction(ParsePairs(NoFlags(line, at), at, expander).ToEquatableArray()))];
            case "MAINTAINER":
                return [Located(new MaintainerInstruction(Required(NoFlags(line, at), at, "a name")))];
            case "ARG":
                return CompileStageArgs(NoFlags(line, at), at, expander, stage).Select(Located).ToList();
            case "WORKDIR":
                return [Located(new WorkdirInstruction(Expand(expander, Required(NoFlags(line, at), at, "a path"), at)))];
            case "USER":
                return [Located(new UserInstruction(Expand(expander, Required(NoFlags(line, at), at, "a user name or uid"), at)))];
            case "STOPSIGNAL":
                return [Located(new StopSignalInstruction(Expand(expander, Required(NoFlags(line, at), at, "a signal"), at)))];
            case "EXPOSE":
            {
                var ports = DockerfileWords.SplitWhitespace(Required(NoFlags(line, at), at, "a port")).Select(p => Expand(expander, p, at)).Where(p => p.Length > 0);
                return [Located(new ExposeInstruction(ports.ToEquatableArray()))];
            }
            case "VOLUME":
            {
                var paths = ParseList(Required(NoFlags(line, at), at, "a path"), at).Select(p => Expand(expander, p, at)).ToEquatableArray();
                return [Located(new VolumeInstruction(paths))];
            }
            case "SHELL":
            {
                var text = Required(NoFlags(line, at), at, "a JSON array");
                var shell = DockerfileWords.TryParseJsonArray(text, out var error);
                if (shell is null || shell.Length == 0)
                    throw DockerfileParser.Error(at, $"SHELL needs a JSON array of strings, e.g. SHELL [\"/bin/bash\", \"-c\"]{(error is null ? "" : "; " + error)}");
                return [Located(new ShellInstruction(shell))];
            }
            case "HEALTHCHECK":
                return [Located(CompileHealthcheck(line, at))];
            case "ONBUILD":
                return [Located(CompileOnbuild(line, at))];
            default:
                throw DockerfileParser.Error(at, $"unknown instruction '{line.Keyword}'");
        }
    }

    private RunInstruction CompileRun(LogicalLine line, SourceLocation at, ShellWordExpander expander)
    {
        var flags = InstructionFlags.Parse(line.Arguments, escape, at, ["mount", "network"], repeatable: ["mount"]);
        var options = RunOptions.Default;
        if (flags.Value("network", at) is { } network)
        {
            options = Expand(expander, network, at) switch
            {
                "none" => options with { Network = false },
                "default" => options,
                var other => throw DockerfileParser.Error(at, $"RUN --network={other} is not supported; use --network=none or --network=default"),
            };
        }
        foreach (var mount in flags.Values("mount", at))
            options = RunMountParser.Apply(options, Expand(expander, mount, at), at, from => ResolveSource(from, _stages.Count, at, "RUN --mount from", byIndex: true));

        if (line.Heredocs.Count > 0) return new RunInstruction(HeredocCommand(flags.Rest, line.Heredocs), options);
        return new RunInstruction(ParseCommand(flags.Rest, at), options);
    }

    /// <summary>
    /// <c>RUN &lt;&lt;EOF</c> alone runs the document as a shell script; a command with here-documents
    /// (<c>RUN python3 &lt;&lt;EOF</c>) is handed to the shell whole, documents included, as BuildKit does.
    /// </summary>
    private static Command HeredocCommand(string rest, IReadOnlyList<Heredoc> heredocs)
    {
        if (heredocs.Count == 1 && HeredocOnly().IsMatch(rest)) return Command.Shell(heredocs[0].Content);
        var script = new System.Text.StringBuilder(rest).Append('\n');
        foreach (var heredoc in heredocs) script.Append(heredoc.Content).Append(heredoc.Name).Append('\n');
        return Command.Shell(script.ToString());
    }

    private Instruction CompileCopy(LogicalLine line, SourceLocation at, ShellWordExpander expander, StageState stage)
    {
        var isAdd = line.Keyword == "ADD";
        string[] allowed = isAdd ? ["chown", "chmod", "checksum", "link"] : ["from", "chown", "chmod", "link"];
        var flags = InstructionFlags.Parse(line.Arguments, escape, at, allowed);
        var raw = ParseList(flags.Rest, at);
        if (raw.Count < 2)
            throw DockerfileParser.Error(at, $"{line.Keyword} needs at least one source and a destination: {line.Keyword} src... dest");
        if (HeredocWord().IsMatch(raw[^1]))
            throw DockerfileParser.Error(at, $"{line.Keyword}: a here-document cannot be the destination; name the destination after the documents");
        var inline = new List<InlineFile>();
        var sourceWords = new List<string>();
        foreach (var word in raw.Take(raw.Count - 1))
        {
            var marker = HeredocWord().Match(word);
            if (!marker.Success)
            {
                sourceWords.Add(word);
                continue;
            }
            var heredoc = line.Heredocs.First(h => h.Name == marker.Groups["name"].Value);
            // BuildKit expands an unquoted document's body with quotes kept as written and '\\' as its escape.
            var content = heredoc.Expand ? Expand(HeredocExpander(stage, at), heredoc.Content, at) : heredoc.Content;
            inline.Add(new InlineFile(heredoc.Name, content));
        }
        var sources = sourceWords.Select(w => Expand(expander, w, at)).ToEquatableArray();
        var destination = Expand(expander, raw[^1], at);
        var chown = ExpandFlag(flags, "chown", at, expander);
        var chmod = ExpandFlag(flags, "chmod", at, expander);
        var link = flags.Bool("link", at);
        if (isAdd)
            return new AddInstruction(sources, destination) { Chown = chown, Chmod = chmod, Checksum = ExpandFlag(flags, "checksum", at, expander), Link = link, Inline = inline.ToEquatableArray() };

        var from = ExpandFlag(flags, "from", at, expander);
        var source = from is null ? null : ResolveSource(from, _stages.Count, at, "COPY --from", byIndex: true);
        return new CopyInstruction(sources, destination) { From = source, Chown = chown, Chmod = chmod, Link = link, Inline = inline.ToEquatableArray() };
    }

    private HealthcheckInstruction CompileHealthcheck(LogicalLine line, SourceLocation at)
    {
        var flags = InstructionFlags.Parse(line.Arguments, escape, at, ["interval", "timeout", "start-period", "start-interval", "retries"]);
        var words = flags.Rest.Split([' ', '\t'], 2, StringSplitOptions.RemoveEmptyEntries);
        var kind = words.Length == 0 ? "" : words[0].ToUpperInvariant();
        if (kind == "NONE")
        {
            if (words.Length > 1 || flags.Has("interval") || flags.Has("timeout") || flags.Has("start-period") || flags.Has("start-interval") || flags.Has("retries"))
                throw DockerfileParser.Error(at, "HEALTHCHECK NONE takes no flags and no arguments");
            return new HealthcheckInstruction((Command?)null);
        }
        if (kind != "CMD" || words.Length < 2)
            throw DockerfileParser.Error(at, "HEALTHCHECK needs CMD and a command (HEALTHCHECK [--interval=30s …] CMD command) or NONE");

        var retriesText = flags.Value("retries", at);
        int? retries = null;
        if (retriesText is not null)
        {
            if (!int.TryParse(retriesText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
                throw DockerfileParser.Error(at, $"HEALTHCHECK --retries must be a whole number of zero or more, not '{retriesText}'");
            retries = parsed;
        }
        return new HealthcheckInstruction(ParseCommand(words[1], at))
        {
            Interval = Duration(flags, "interval", at),
            Timeout = Duration(flags, "timeout", at),
            StartPeriod = Duration(flags, "start-period", at),
            StartInterval = Duration(flags, "start-interval", at),
            Retries = retries,
        };
    }

    private static TimeSpan? Duration(InstructionFlags flags, string name, SourceLocation at)
    {
        if (flags.Value(name, at) is not { } text) return null;
        if (!GoDuration.TryParse(text, out var duration))
            throw DockerfileParser.Error(at, $"HEALTHCHECK --{name}={text} is not a duration; write it like 30s, 1m30s or 500ms");
        if (duration != TimeSpan.Zero && duration < TimeSpan.FromMilliseconds(1))
            throw DockerfileParser.Error(at, $"HEALTHCHECK --{name}={text} is too short; use at least 1ms (or 0 for the default)");
        return duration;
    }

    private static OnbuildInstruction CompileOnbuild(LogicalLine line, SourceLocation at)
    {
        var trigger = Required(line.Arguments, at, "an instruction");
        var keyword = trigger.Split([' ', '\t'], 2)[0].ToUpperInvariant();
        if (keyword is "ONBUILD" or "FROM" or "MAINTAINER")
            throw DockerfileParser.Error(at, $"ONBUILD cannot trigger {keyword}; use another instruction");
        if (!Keywords.Contains(keyword))
            throw DockerfileParser.Error(at, $"ONBUILD triggers unknown instruction '{keyword}'");
        return new OnbuildInstruction(trigger);
    }

    /// <summary>Exec form when the text is a JSON array of strings, shell form otherwise (like Docker, invalid JSON is shell text).</summary>
    private static Command ParseCommand(string text, SourceLocation at)
    {
        if (text.Length == 0) throw DockerfileParser.Error(at, $"{at.Member} needs a command");
        var exec = DockerfileWords.TryParseJsonArray(text, out var error);
        if (error is not null) throw DockerfileParser.Error(at, $"{at.Member}: {error}");
        return exec is null ? Command.Shell(text) : Command.Exec(exec);
    }

    /// <summary>A JSON array, or whitespace-separated words (COPY, ADD, VOLUME; BuildKit's parseMaybeJSONToList).</summary>
    private static IReadOnlyList<string> ParseList(string text, SourceLocation at)
    {
        var json = DockerfileWords.TryParseJsonArray(text, out var error);
        if (error is not null) throw DockerfileParser.Error(at, $"{at.Member}: {error}");
        return json ?? DockerfileWords.SplitWhitespace(text);
    }

    /// <summary>ENV and LABEL: <c>k=v k2="v 2"</c>, or the legacy <c>k value with spaces</c>. Values see the scope before this instruction.</summary>
    private List<KeyValuePair<string, string>> ParsePairs(string text, SourceLocation at, ShellWordExpander expander)
    {
        var words = DockerfileWords.SplitQuoted(Required(text, at, "name=value"), escape);
        var pairs = new List<KeyValuePair<string, string>>();
        if (DockerfileWords.SplitAssignment(words[0]) is null)
        {
            var rest = text[words[0].Length..].Trim();
            if (rest.Length == 0)
                throw DockerfileParser.Error(at, $"{at.Member} {words[0]} needs a value: {at.Member} {words[0]}=value");
            pairs.Add(new(Expand(expander, words[0], at), Expand(expander, rest, at)));
            return pairs;
        }
        foreach (var word in words)
        {
            if (DockerfileWords.SplitAssignment(word) is not var (key, value))
                throw DockerfileParser.Error(at, $"{at.Member}: '{word}' is not of the form name=value; mixing 'name=value' with the legacy 'name value' form is not allowed");
            var expandedKey = Expand(expander, key, at);
            if (expandedKey.Length == 0) throw DockerfileParser.Error(at, $"{at.Member}: '{word}' has an empty name");
            pairs.Add(new(expandedKey, Expand(expander, value, at)));
        }
        return pairs;
    }

    /// <summary>
    /// ARGs before the first FROM, as BuildKit's meta args (dockerfile2llb/convert.go, Dockerfile2LLB): the name is
    /// taken as written (never expanded), a --build-arg for it wins, else its default is expanded with the global
    /// scope so far, so a later ARG on the same line sees an earlier one.
    /// </summary>
    private List<ArgInstruction> CompileGlobalArgs(string text, SourceLocation at)
    {
        var args = new List<ArgInstruction>();
        foreach (var (name, rawDefault) in SplitArgs(text, at))
        {
            var defaultValue = rawDefault is null || _buildArgs.ContainsKey(name) ? rawDefault : Expand(GlobalExpander(at), rawDefault, at);
            args.Add(new ArgInstruction(name, DeclareGlobal(name, defaultValue, rawDefault is not null)) { Location = at });
        }
        return args;
    }

    /// <summary>
    /// ARGs in a stage, as BuildKit's <c>ArgCommand.Expand</c> then <c>dispatchArg</c>: names and defaults are all
    /// expanded first, with the scope before the instruction (<c>ENV src=file3</c> then <c>ARG ${src}=x</c> declares
    /// <c>file3</c>), then declared in order.
    /// </summary>
    private List<ArgInstruction> CompileStageArgs(string text, SourceLocation at, ShellWordExpander expander, StageState stage)
    {
        var expanded = SplitArgs(text, at)
            .Select(arg => (Name: Expand(expander, arg.Name, at), Default: arg.Default is null ? null : Expand(expander, arg.Default, at)))
            .ToList();
        var args = new List<ArgInstruction>();
        foreach (var (name, defaultValue) in expanded)
        {
            if (name.Length == 0)
                throw DockerfileParser.Error(at, "ARG name expands to nothing; declare the variable it names before this line, or write the name itself");
            args.Add(new ArgInstruction(name, DeclareInStage(stage, name, defaultValue, defaultValue is not null)) { Location = at });
        }
        return args;
    }

    /// <summary>The words of an ARG split at their first '=' (BuildKit's parseArg); like BuildKit, only a blank name is refused.</summary>
    private List<(string Name, string? Default)> SplitArgs(string text, SourceLocation at)
    {
        var args = new List<(string, string?)>();
        foreach (var word in DockerfileWords.SplitQuoted(Required(text, at, "a name"), escape))
        {
            if (DockerfileWords.SplitAssignment(word) is not var (name, value))
            {
                args.Add((word, null));
                continue;
            }
            if (name.Length == 0)
                throw DockerfileParser.Error(at, $"ARG '{word}' has a blank name; write ARG NAME=value");
            args.Add((name, value));
        }
        return args;
    }

    private string? DeclareGlobal(string name, string? defaultValue, bool hasDefault)
    {
        var value = _buildArgs.TryGetValue(name, out var given) ? given : hasDefault ? defaultValue : _globalScope.GetValueOrDefault(name);
        _globalScope[name] = value;
        return value;
    }

    /// <summary>A stage ARG: the --build-arg value, else its default, else the global ARG (or automatic platform ARG) of that name.</summary>
    private string? DeclareInStage(StageState stage, string name, string? defaultValue, bool hasDefault)
    {
        var value = _buildArgs.TryGetValue(name, out var given) ? given : hasDefault ? defaultValue : _globalScope.GetValueOrDefault(name);
        stage.SetArg(name, value);
        return value;
    }

    private string NoFlags(LogicalLine line, SourceLocation at) => InstructionFlags.Parse(line.Arguments, escape, at, []).Rest;

    private static string Required(string text, SourceLocation at, string what)
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 0) throw DockerfileParser.Error(at, $"{at.Member} needs {what}");
        return trimmed;
    }

    private static string? ExpandFlag(InstructionFlags flags, string name, SourceLocation at, ShellWordExpander expander) =>
        flags.Value(name, at) is { } value ? Expand(expander, value, at) : null;

    /// <summary>FROM lines and global ARG defaults see the global scope; an undeclared plain reference is reported.</summary>
    private ShellWordExpander GlobalExpander(SourceLocation at) =>
        new(escape, _globalScope.GetValueOrDefault, name =>
        {
            if (!_globalScope.ContainsKey(name)) _unresolved.Add(new UnresolvedVariable(name, at));
        });

    /// <summary>Stage instructions see ENV, then the stage's declared ARGs; an ARG declared without a value is not reported.</summary>
    private ShellWordExpander StageExpander(StageState stage, SourceLocation at) =>
        new(escape, name => stage.TryLookup(name, out var value) ? value : null, name =>
        {
            if (!stage.TryLookup(name, out _)) _unresolved.Add(new UnresolvedVariable(name, at));
        });

    private ShellWordExpander HeredocExpander(StageState stage, SourceLocation at) =>
        new('\\', name => stage.TryLookup(name, out var value) ? value : null, name =>
        {
            if (!stage.TryLookup(name, out _)) _unresolved.Add(new UnresolvedVariable(name, at));
        }, keepQuotes: true);

    private static string Expand(ShellWordExpander expander, string word, SourceLocation at)
    {
        try
        {
            return expander.Expand(word);
        }
        catch (ShellWordExpander.ExpansionException e)
        {
            throw DockerfileParser.Error(at, $"{at.Member}: cannot expand '{word}': {e.Message}");
        }
    }

    /// <summary>What one stage has seen so far.</summary>
    private sealed class StageState(string name, ImageSource source, SourceLocation location, string? platform, Dictionary<string, string> env)
    {
        private readonly Dictionary<string, string?> _args = new(StringComparer.Ordinal);

        public string Name { get; } = name;
        public ImageSource Base { get; } = source;
        public SourceLocation Location { get; } = location;
        public string? Platform { get; } = platform;
        public Dictionary<string, string> Env { get; } = env;
        public List<Instruction> Instructions { get; } = [];

        /// <summary>ENV first (it overrides an ARG of the same name), then the stage's declared ARGs.</summary>
        public bool TryLookup(string variable, out string? value)
        {
            if (Env.TryGetValue(variable, out var env))
            {
                value = env;
                return true;
            }
            return _args.TryGetValue(variable, out value);
        }

        /// <summary>An ARG without a value keeps the value the stage already has (inherited from its base stage).</summary>
        public void SetArg(string variable, string? value)
        {
            if (value is not null || !_args.ContainsKey(variable)) _args[variable] = value;
        }

        /// <summary>The ARG values a stage built FROM this one starts with.</summary>
        public IReadOnlyDictionary<string, string> ArgValues =>
            _args.Where(a => a.Value is not null).ToDictionary(a => a.Key, a => a.Value!, StringComparer.Ordinal);
    }

    [GeneratedRegex("^[a-z][a-z0-9_.-]*$")]
    private static partial Regex StageName();

    [GeneratedRegex(@"^<<-?([""']?)[A-Za-z_][A-Za-z0-9_]*\1$")]
    private static partial Regex HeredocOnly();

    /// <summary>A COPY/ADD source word that names a here-document: <c>&lt;&lt;EOF</c>, <c>&lt;&lt;-EOF</c>, <c>&lt;&lt;"EOF"</c>.</summary>
    [GeneratedRegex(@"^<<-?(?<quote>[""']?)(?<name>[A-Za-z_][A-Za-z0-9_]*)\k<quote>$")]
    private static partial Regex HeredocWord();
}
