using System.Globalization;
using System.Text;
using Orchestrator.Recipes;
using static Orchestrator.Dockerfiles.DockerfileQuoting;

namespace Orchestrator.Dockerfiles;

/// <summary>
/// Writes recipe stages as Dockerfile text (what a Kaniko-compatible executor reads). The text parses back
/// to the same model with <see cref="DockerfileParser"/>: values are quoted and escaped, and since they are
/// already expanded, dollars in expanded instructions are escaped. Stages are written in dependency order
/// with names Docker accepts (see <see cref="StageNameMap"/>).
/// </summary>
public static class DockerfileRenderer
{
    /// <summary>Renders one stage. A stage it reads (base or <c>COPY --from</c>) must be given an image reference by <paramref name="stageImage"/>.</summary>
    public static string Render(StageRecipe stage, Func<string, string?>? stageImage = null, bool heredocs = true) => Render([stage], stageImage, heredocs);

    /// <summary>
    /// Renders several stages as one multi-stage Dockerfile; the last stage written is the last of
    /// <paramref name="stages"/> that nothing else depends on, so pass the target last.
    /// </summary>
    /// <param name="stages">The stages to write.</param>
    /// <param name="stageImage">
    /// Optional: an image reference (e.g. pinned by digest) to use in place of a stage wherever it is read as a base or
    /// by <c>COPY --from</c>; return null to keep the stage reference. Stages outside <paramref name="stages"/> need one.
    /// </param>
    /// <param name="heredocs">
    /// When false, RUN shell text that needs more than one line is written in exec form with the stage's shell
    /// (<c>["/bin/sh", "-c", "…"]</c>, or the last SHELL), which runs the same argv, for executors that do not read
    /// here-documents (Kaniko). The text then parses back as exec form.
    /// </param>
    public static string Render(IEnumerable<StageRecipe> stages, Func<string, string?>? stageImage = null, bool heredocs = true)
    {
        var list = stages.ToList();
        if (list.Count == 0) throw new ArgumentException("no stages to render", nameof(stages));
        var replacements = new Dictionary<string, string?>(StringComparer.Ordinal);
        string? Replacement(string name)
        {
            if (!replacements.TryGetValue(name, out var reference))
                replacements[name] = reference = stageImage?.Invoke(name);
            return reference;
        }

        var ordered = Order(list, Replacement);
        var usedAsBase = ordered.Select(s => s.Base).OfType<ImageSource.Stage>().Where(s => Replacement(s.Name) is null).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var names = new StageNameMap(ordered.Select(s => s.Name).ToList(), usedAsBase);

        var text = new StringBuilder();
        var shells = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var stage in ordered)
        {
            if (text.Length > 0) text.Append('\n');
            // A stage starts with the shell of the stage it is built FROM; a registry image's SHELL is not known here.
            var shell = stage.Base is ImageSource.Stage s && Replacement(s.Name) is null && shells.TryGetValue(s.Name, out var inherited) ? inherited : DefaultShell;
            shells[stage.Name] = new StageWriter(stage, names, Replacement, text, heredocs, shell).Write();
        }
        var starting = ordered.Where(s => s.InheritedArgs.Count > 0 && s.Base is not ImageSource.Stage).ToList();
        if (starting.Count > 0)
        {
            // One directive line before everything: ARG values those stages start with, without the history entries ARG makes.
            var directive = new System.Text.Json.Nodes.JsonObject();
            foreach (var stage in starting)
            {
                var values = new System.Text.Json.Nodes.JsonObject();
                foreach (var arg in stage.InheritedArgs.Where(a => a.Value is not null)) values[arg.Name] = arg.Value;
                directive[names[stage.Name]] = values;
            }
            text.Insert(0, $"# {DockerfileReader.InheritedArgsDirective}={directive.ToJsonString()}\n");
        }
        return text.ToString();
    }

    /// <summary>Stable topological order: input order, except that a stage comes after the stages it reads.</summary>
    private static List<StageRecipe> Order(List<StageRecipe> stages, Func<string, string?> replacement)
    {
        var byName = stages.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var ordered = new List<StageRecipe>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        var remaining = new List<StageRecipe>(stages);
        while (remaining.Count > 0)
        {
            var next = remaining.FirstOrDefault(s => s.StageDependencies().All(d => done.Contains(d) || !byName.ContainsKey(d) || replacement(d) is not null || d == s.Name));
            if (next is null)
                throw new OrchestratorException($"stages {string.Join(", ", remaining.Select(s => s.Name))} depend on each other in a cycle; they cannot be written as a Dockerfile");
            ordered.Add(next);
            done.Add(next.Name);
            remaining.Remove(next);
        }
        return ordered;
    }

    private static readonly IReadOnlyList<string> DefaultShell = ["/bin/sh", "-c"];

    private sealed class StageWriter(StageRecipe stage, StageNameMap names, Func<string, string?> replacement, StringBuilder text, bool heredocs, IReadOnlyList<string> shell)
    {
        /// <summary>Writes the stage and returns its shell at the end (for stages built FROM it).</summary>
        public IReadOnlyList<string> Write()
        {
            text.Append("FROM ");
            if (stage.Platform is { } platform) text.Append("--platform=").Append(Word(platform)).Append(' ');
            text.Append(Source(stage.Base, "FROM"));
            if (!names.IsUnnamed(stage.Name)) text.Append(" AS ").Append(names[stage.Name]);
            text.Append('\n');
            foreach (var instruction in stage.Instructions)
            {
                text.Append(Line(instruction)).Append('\n');
                if (instruction is ShellInstruction { Shell: var newShell }) shell = newShell;
            }
            return shell;
        }

        private string Source(ImageSource source, string what) => source switch
        {
            ImageSource.Scratch => "scratch",
            ImageSource.Registry r => Word(r.Reference),
            ImageSource.Layout l => throw Fail($"{what} is the OCI layout '{l.Path}', which a Dockerfile cannot name; push it to a registry (skopeo copy {l} docker://REGISTRY/REPO:TAG) and use that reference"),
            ImageSource.Stage s when replacement(s.Name) is { } reference => Word(reference),
            ImageSource.Stage s when names.Contains(s.Name) => names[s.Name],
            ImageSource.Stage s => throw Fail($"{what} reads stage '{s.Name}', which is not among the stages rendered; render it too or give its image reference"),
            _ => throw new InvalidOperationException("unknown image source " + source),
        };

        private string Line(Instruction instruction) => instruction switch
        {
            RunInstruction run => Run(run),
            CmdInstruction cmd => "CMD " + CommandText(cmd.Command, "CMD"),
            EntrypointInstruction entrypoint => "ENTRYPOINT " + CommandText(entrypoint.Command, "ENTRYPOINT"),
            CopyInstruction copy => "COPY " + Flags(("from", copy.From is null ? null : Source(copy.From, "COPY --from")), ("chown", copy.Chown), ("chmod", copy.Chmod))
                + (copy.Link ? "--link " : "") + WithDocuments(copy.Sources, copy.Inline, copy.Destination, "COPY"),
            AddInstruction add => "ADD " + Flags(("chown", add.Chown), ("chmod", add.Chmod), ("checksum", add.Checksum))
                + (add.Link ? "--link " : "") + WithDocuments(add.Sources, add.Inline, add.Destination, "ADD"),
            EnvInstruction env => "ENV " + Pairs(env.Variables, "ENV"),
            LabelInstruction label => "LABEL " + Pairs(label.Labels, "LABEL"),
            ArgInstruction arg => "ARG " + BareWord(arg.Name, "ARG") + (arg.Value is null ? "" : "=" + Value(arg.Value, "ARG")),
            WorkdirInstruction workdir => "WORKDIR " + Value(workdir.Path, "WORKDIR"),
            UserInstruction user => "USER " + Value(user.User, "USER"),
            StopSignalInstruction signal => "STOPSIGNAL " + Value(signal.Signal, "STOPSIGNAL"),
            ExposeInstruction expose => "EXPOSE " + string.Join(' ', expose.Ports.Select(p => BareWord(p, "EXPOSE"))),
            VolumeInstruction volume => "VOLUME " + Paths(volume.Paths, "VOLUME"),
            ShellInstruction shell => "SHELL " + JsonArray(shell.Shell),
            HealthcheckInstruction healthcheck => Healthcheck(healthcheck),
            OnbuildInstruction onbuild => "ONBUILD " + SingleLine(onbuild.Trigger, "ONBUILD"),
            MaintainerInstruction maintainer => "MAINTAINER " + Maintainer(maintainer.Maintainer),
            _ => throw Fail($"{instruction.Keyword} cannot be written as a Dockerfile instruction"),
        };

        /// <summary>A value inside <c>--mount=…</c>: the parser splits the option list at commas, so a comma cannot be written.</summary>
        private string MountField(string value) =>
            value.Contains(',') ? throw Fail($"RUN --mount: '{value}' holds a comma, which a Dockerfile mount option cannot hold; choose a path without one") : value;

        private string Run(RunInstruction run)
        {
            var line = new StringBuilder("RUN ");
            if (!run.Options.Network) line.Append("--network=none ");
            foreach (var secret in run.Options.Secrets)
            {
                var mount = "type=secret,id=" + secret.Id + (secret.Target is null ? "" : ",target=" + secret.Target) + (secret.Required ? ",required" : "");
                line.Append("--mount=").Append(Value(mount, "RUN --mount")).Append(' ');
            }
            foreach (var cache in run.Options.CacheMounts)
            {
                var mount = "type=cache,target=" + cache.Target + (cache.Id is null ? "" : ",id=" + cache.Id) + (cache.Sharing == "shared" ? "" : ",sharing=" + cache.Sharing)
                    + (cache.Uid is { } uid ? ",uid=" + uid : "") + (cache.Gid is { } gid ? ",gid=" + gid : "") + (cache.Mode is { } mode ? ",mode=" + mode : "");
                line.Append("--mount=").Append(Value(mount, "RUN --mount")).Append(' ');
            }
            foreach (var bind in run.Options.Binds)
            {
                var mount = "type=bind,target=" + MountField(bind.Target) + (bind.Source is null ? "" : ",source=" + MountField(bind.Source))
                    + (bind.From is null ? "" : ",from=" + Source(bind.From, "RUN --mount from")) + (bind.ReadWrite ? ",rw" : "");
                line.Append("--mount=").Append(Value(mount, "RUN --mount")).Append(' ');
            }
            foreach (var tmpfs in run.Options.TmpfsMounts)
            {
                var mount = "type=tmpfs,target=" + MountField(tmpfs.Target) + (tmpfs.Size is { } size ? ",size=" + size.ToString(CultureInfo.InvariantCulture) : "");
                line.Append("--mount=").Append(Value(mount, "RUN --mount")).Append(' ');
            }
            foreach (var ssh in run.Options.SshMounts)
            {
                var mount = "type=ssh,id=" + MountField(ssh.Id) + (ssh.Target is null ? "" : ",target=" + MountField(ssh.Target)) + (ssh.Required ? ",required" : "");
                line.Append("--mount=").Append(Value(mount, "RUN --mount")).Append(' ');
            }
            if (run.Command.IsShellForm && NeedsHeredoc(run.Command.ShellText) && !heredocs)
                return line.Append(JsonArray(run.Command.ToArgv(shell))).ToString();
            if (run.Command.IsShellForm && NeedsHeredoc(run.Command.ShellText))
            {
                var script = run.Command.ShellText;
                var delimiter = Delimiter(script);
                line.Append("<<").Append(delimiter).Append('\n').Append(script);
                if (!script.EndsWith('\n')) line.Append('\n');
                return line.Append(delimiter).ToString();
            }
            return line.Append(CommandText(run.Command, "RUN")).ToString();
        }

        /// <summary>
        /// Sources, here-document markers and the destination, then each document's body: quoted delimiters, as the
        /// content is already expanded and must be read back as it is.
        /// </summary>
        private string WithDocuments(IEnumerable<string> sources, EquatableArray<InlineFile> inline, string destination, string what)
        {
            if (inline.Count == 0) return Paths(sources.Append(destination), what);
            if (!heredocs) throw Fail($"{what} of inline text ({string.Join(", ", inline.Select(f => f.Name))}) needs here-documents, which this rendering leaves out");
            var paths = sources.Append(destination).ToList();
            foreach (var path in paths) SingleLine(path, what);
            if (!paths.All(IsPlain)) throw Fail($"{what} of inline text with the path(s) {string.Join(", ", paths.Where(p => !IsPlain(p)))} needs the JSON form, which cannot hold here-documents");
            var line = new StringBuilder(string.Join(' ', paths[..^1]));
            foreach (var file in inline) line.Append(line.Length > 0 ? " " : "").Append("<<'").Append(file.Name).Append('\'');
            line.Append(' ').Append(destination);
            foreach (var file in inline)
            {
                if (file.Content.Split('\n').Contains(file.Name, StringComparer.Ordinal))
                    throw Fail($"{what}: the inline file '{file.Name}' has a line that reads just '{file.Name}', which would end its here-document early");
                line.Append('\n').Append(file.Content);
                if (file.Content.Length > 0 && !file.Content.EndsWith('\n')) throw Fail($"{what}: the inline file '{file.Name}' does not end with a line break, which a here-document always adds");
                line.Append(file.Name);
            }
            return line.ToString();
        }

        /// <summary>Shell text that would not survive a single line (line breaks, a trailing escape, a leading '[' or flag) goes into a here-document.</summary>
        private static bool NeedsHeredoc(string script) =>
            HasLineBreak(script) || !FitsOneLine(script) || DockerfileReader.HasHeredocMarker(script);

        /// <summary>Whether shell text reads back as the same shell text from one line: not JSON-looking, no trailing escape, no leading flag, no edge spaces.</summary>
        private static bool FitsOneLine(string script) =>
            script.Trim().Length > 0 && script == script.Trim() && !script.EndsWith('\\') && !script.StartsWith("--", StringComparison.Ordinal)
            && DockerfileWords.TryParseJsonArray(script, out var notStrings) is null && notStrings is null
            && !script.StartsWith("<<", StringComparison.Ordinal);

        private static string Delimiter(string script)
        {
            var lines = script.Split('\n').Select(l => l.TrimStart('\t')).ToHashSet(StringComparer.Ordinal);
            var delimiter = "EOF";
            for (var n = 1; lines.Contains(delimiter); n++) delimiter = "EOF" + n.ToString(CultureInfo.InvariantCulture);
            return delimiter;
        }

        private string CommandText(Command command, string what)
        {
            if (!command.IsShellForm) return JsonArray(command.Arguments);
            var script = command.ShellText;
            if (HasLineBreak(script) || !FitsOneLine(script))
                throw Fail($"{what} shell command '{script}' cannot be written on one Dockerfile line; use the exec form");
            return script;
        }

        /// <summary>MAINTAINER text is read back trimmed and unexpanded, so it is written as is when that gives it back.</summary>
        private string Maintainer(string text) =>
            text.Length > 0 && text == text.Trim() && !text.EndsWith('\\') ? SingleLine(text, "MAINTAINER")
                : throw Fail($"MAINTAINER '{text}' cannot be written in a Dockerfile (empty, edge spaces or a trailing '\\')");

        private string Healthcheck(HealthcheckInstruction healthcheck)
        {
            if (healthcheck.Test is null) return "HEALTHCHECK NONE";
            var line = new StringBuilder("HEALTHCHECK ");
            void Duration(string name, TimeSpan? value)
            {
                if (value is { } v) line.Append("--").Append(name).Append('=').Append(GoDuration.Format(v)).Append(' ');
            }
            Duration("interval", healthcheck.Interval);
            Duration("timeout", healthcheck.Timeout);
            Duration("start-period", healthcheck.StartPeriod);
            Duration("start-interval", healthcheck.StartInterval);
            if (healthcheck.Retries is { } retries) line.Append("--retries=").Append(retries.ToString(CultureInfo.InvariantCulture)).Append(' ');
            return line.Append("CMD ").Append(CommandText(healthcheck.Test, "HEALTHCHECK")).ToString();
        }

        private string Flags(params (string Name, string? Value)[] flags)
        {
            var text = new StringBuilder();
            foreach (var (name, value) in flags)
                if (value is not null) text.Append("--").Append(name).Append('=').Append(Value(value, "--" + name)).Append(' ');
            return text.ToString();
        }

        /// <summary>COPY/ADD/VOLUME words: bare when every one is plain, else the JSON form (whose elements Docker still expands).</summary>
        private string Paths(IEnumerable<string> paths, string what)
        {
            var list = paths.ToList();
            foreach (var path in list) SingleLine(path, what);
            return list.All(IsPlain) ? string.Join(' ', list) : JsonArray(list.Select(EscapeForExpansion));
        }

        private string Pairs(IEnumerable<KeyValuePair<string, string>> pairs, string what) =>
            string.Join(' ', pairs.Select(p => BareWord(p.Key, what) + "=" + Value(p.Value, what)));

        private string Value(string value, string what) => value.Length == 0 ? "\"\"" : Word(SingleLine(value, what));

        private string BareWord(string value, string what)
        {
            if (value.Length == 0 || value.Any(char.IsWhiteSpace) || value.Contains('='))
                throw Fail($"{what} name or value '{value}' cannot be written in a Dockerfile (empty, or has spaces or '=')");
            return IsPlain(value) ? value : EscapeForExpansion(value);
        }

        private string SingleLine(string value, string what) =>
            HasLineBreak(value) ? throw Fail($"{what} value has a line break, which a Dockerfile cannot hold") : value;

        private OrchestratorException Fail(string message) => new($"cannot render stage '{stage.Name}' as a Dockerfile: {message}");
    }
}
