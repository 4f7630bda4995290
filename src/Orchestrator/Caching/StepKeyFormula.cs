using Orchestrator.Recipes;

namespace Orchestrator.Caching;

/// <summary>
/// The key of one step, from its inputs only (pure: no I/O, nothing runs): the format version, the parent key,
/// the instruction (keyword and every field, as expanded; never its source location), its flags, for RUN the
/// build args and ENV it sees, and for COPY/ADD the content it copies. The formula is written out in
/// docs/caching.md; the part names below are the ones plans and annotations show.
/// </summary>
public static class StepKeyFormula
{
    public static CacheKey Compute(CacheKey parent, Instruction instruction, StepScope scope, StepInputs inputs)
    {
        var key = new CacheKeyBuilder()
            .Digest("parent", parent.Digest)
            .Text("instruction", instruction.Keyword, shown: true);
        switch (instruction)
        {
            case RunInstruction run:
                key.Group("command", w => WriteCommand(w, run.Command))
                    .Boolean("network", run.Options.Network)
                    .List("secret-mounts", run.Options.Secrets, (w, s) => w.Group("secret", g => g.Text("id", s.Id).Text("target", s.EffectiveTarget).Boolean("required", s.Required)))
                    .List("cache-mounts", run.Options.CacheMounts, (w, m) => w.Group("cache", g => WriteCacheMount(g, m)));
                AddMounts(key, run, inputs);
                AddScope(key, scope);
                break;
            case CopyInstruction copy:
                key.List("sources", copy.Sources, (w, s) => w.Text("", s))
                    .Text("destination", copy.Destination, shown: true)
                    .Text("from", copy.From is null ? "context" : "image", shown: true)
                    .Text("chown", copy.Chown, shown: true)
                    .Text("chmod", copy.Chmod, shown: true)
                    .Boolean("link", copy.Link);
                AddInline(key, copy.Inline);
                if (copy.Sources.Count > 0) AddContent(key, inputs.Content ?? throw MissingContent(instruction));
                break;
            case AddInstruction add:
                key.List("sources", add.Sources, (w, s) => w.Text("", s))
                    .Text("destination", add.Destination, shown: true)
                    .Text("chown", add.Chown, shown: true)
                    .Text("chmod", add.Chmod, shown: true)
                    .Text("checksum", add.Checksum, shown: true)
                    .Boolean("link", add.Link);
                AddInline(key, add.Inline);
                var local = add.Sources.Where(s => !RecipeValidator.IsUrl(s)).ToList();
                if (local.Count > 0) AddContent(key, inputs.Content ?? throw MissingContent(instruction));
                foreach (var url in add.Sources.Where(RecipeValidator.IsUrl))
                    AddUrl(key, add, url, inputs);
                break;
            case EnvInstruction env:
                key.List("variables", env.Variables, WritePair);
                break;
            case ArgInstruction arg:
                // The value reaches exactly the RUN steps that see it (through their scope); a COPY after a changed ARG keeps its key.
                key.Text("name", arg.Name, shown: true);
                break;
            case WorkdirInstruction workdir:
                key.Text("path", workdir.Path, shown: true);
                break;
            case UserInstruction user:
                key.Text("user", user.User, shown: true);
                break;
            case LabelInstruction label:
                key.List("labels", label.Labels, WritePair);
                break;
            case ExposeInstruction expose:
                key.List("ports", expose.Ports, (w, p) => w.Text("", p));
                break;
            case VolumeInstruction volume:
                key.List("paths", volume.Paths, (w, p) => w.Text("", p));
                break;
            case EntrypointInstruction entrypoint:
                key.Group("command", w => WriteCommand(w, entrypoint.Command));
                break;
            case CmdInstruction cmd:
                key.Group("command", w => WriteCommand(w, cmd.Command));
                break;
            case HealthcheckInstruction health:
                key.Group("test", w =>
                    {
                        if (health.Test is null) w.Absent("command");
                        else w.Group("command", c => WriteCommand(c, health.Test));
                    })
                    .Integer("interval", Nanoseconds(health.Interval))
                    .Integer("timeout", Nanoseconds(health.Timeout))
                    .Integer("start-period", Nanoseconds(health.StartPeriod))
                    .Integer("start-interval", Nanoseconds(health.StartInterval))
                    .Integer("retries", health.Retries);
                break;
            case StopSignalInstruction signal:
                key.Text("signal", signal.Signal, shown: true);
                break;
            case ShellInstruction shell:
                key.List("shell", shell.Shell, (w, s) => w.Text("", s));
                break;
            case OnbuildInstruction onbuild:
                key.Text("trigger", onbuild.Trigger);
                break;
            case MaintainerInstruction maintainer:
                key.Text("maintainer", maintainer.Maintainer, shown: true);
                break;
            default:
                // A new instruction type must get its fields into the key before it can be cached.
                throw new NotSupportedException($"no cache key formula for {instruction.GetType().Name}");
        }
        return key.Build();
    }

    /// <summary>
    /// Bind, tmpfs and SSH mounts, each list only when the step has such mounts (a RUN without them keeps the key it had
    /// before these parts existed; the part names keep the encodings apart). A bind is keyed on what it mounts, as a COPY
    /// of the same source is; a tmpfs on where and how large; an SSH agent on its id and where it appears, never on the
    /// agent's keys.
    /// </summary>
    private static void AddMounts(CacheKeyBuilder key, RunInstruction run, StepInputs inputs)
    {
        var options = run.Options;
        if (options.Binds.Count > 0)
        {
            if (inputs.Binds.Count != options.Binds.Count)
                throw new ArgumentException($"RUN: the content of its {options.Binds.Count} bind mount(s) is a key input and was not given", nameof(inputs));
            key.List("bind-mounts", options.Binds.Select((b, i) => (Bind: b, Content: inputs.Binds[i])), (w, m) => w.Group("bind", g => g
                .Text("target", m.Bind.Target)
                .Text("source", m.Bind.Source)
                .Text("from", m.Bind.From is null ? "context" : "image")
                .Boolean("rw", m.Bind.ReadWrite)
                .Digest("content", m.Content.Digest)));
            for (var i = 0; i < options.Binds.Count; i++)
                key.Digest("mount:" + options.Binds[i].Target, inputs.Binds[i].Digest);
        }
        if (options.TmpfsMounts.Count > 0)
            key.List("tmpfs-mounts", options.TmpfsMounts, (w, m) => w.Group("tmpfs", g => g.Text("target", m.Target).Integer("size", m.Size)));
        if (options.SshMounts.Count > 0)
            key.List("ssh-mounts", options.SshMounts.Select((m, i) => (m.Id, Target: options.SshTarget(i))), (w, m) => w.Group("ssh", g => g.Text("id", m.Id).Text("target", m.Target)));
    }

    /// <summary>RUN's environment: ENV by name, then the build args ENV does not shadow (RUN sees ENV's value then), by name.</summary>
    private static void AddScope(CacheKeyBuilder key, StepScope scope)
    {
        var env = Latest(scope.Environment);
        foreach (var (name, value) in env) key.Text("env:" + name, value);
        foreach (var (name, value) in Latest(scope.BuildArgs))
            if (!env.ContainsKey(name)) key.Text("arg:" + name, value);
    }

    private static SortedDictionary<string, string> Latest(IEnumerable<KeyValuePair<string, string>> values)
    {
        var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in values) sorted[name] = value;
        return sorted;
    }

    private static void AddContent(CacheKeyBuilder key, SelectionDigest content)
    {
        key.Digest("content", content.Digest);
        foreach (var (name, digest) in content.Groups) key.Digest("content:" + name, digest);
    }

    private static void AddUrl(CacheKeyBuilder key, AddInstruction add, string url, StepInputs inputs)
    {
        var name = "url:" + ShownUrl(url);
        if (add.Checksum is { } checksum)
        {
            key.Text(name, "checksum " + checksum, shown: true);
            return;
        }
        var validator = inputs.Urls.FirstOrDefault(u => u.Key == url).Value
            ?? throw new ArgumentException($"ADD {name[4..]}: no --checksum and no validator given", nameof(inputs));
        key.Text(name, validator.ToString(), shown: true);
    }

    /// <summary>The URL as a part name may show it: credentials in it (user:token@) never are.</summary>
    internal static string ShownUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0
            ? new UriBuilder(uri) { UserName = "", Password = "" }.Uri.ToString()
            : url;

    /// <summary>Here-document files: name and the digest of their content (which may hold anything, so it is never shown).</summary>
    private static void AddInline(CacheKeyBuilder key, EquatableArray<InlineFile> inline) =>
        key.List("inline", inline, (w, f) => w.Group("file", g => g.Text("name", f.Name).Digest("content", Oci.Digest.Sha256(System.Text.Encoding.UTF8.GetBytes(f.Content)))));

    private static ArgumentException MissingContent(Instruction instruction) =>
        new($"{instruction.Keyword}: the content of its sources is a key input and was not given", "inputs");

    /// <summary>A cache mount by target, id and sharing; its first owner and mode only when given, so keys made without them stay.</summary>
    private static void WriteCacheMount(KeyPartWriter writer, CacheMount mount)
    {
        writer.Text("target", mount.Target).Text("id", mount.Id).Text("sharing", mount.Sharing);
        if (mount.HasOwnerOrMode) writer.Integer("uid", mount.Uid).Integer("gid", mount.Gid).Text("mode", mount.Mode);
    }

    private static void WriteCommand(KeyPartWriter writer, Command command) =>
        writer.Boolean("shell-form", command.IsShellForm).List("arguments", command.Arguments, (w, a) => w.Text("", a));

    private static void WritePair(KeyPartWriter writer, KeyValuePair<string, string> pair) =>
        writer.Group("", g => g.Text("name", pair.Key).Text("value", pair.Value));

    private static long? Nanoseconds(TimeSpan? time) => time is { } t ? t.Ticks * 100 : null;
}
