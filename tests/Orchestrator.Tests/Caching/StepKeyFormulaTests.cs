using System.Reflection;
using Orchestrator.Caching;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Recipes;
using static Orchestrator.Tests.Caching.CacheKeyTestData;

namespace Orchestrator.Tests.Caching;

public sealed class StepKeyFormulaTests
{
    private static readonly RunInstruction Run = new(Command.Shell("make"), RunOptions.Default);
    private static readonly CopyInstruction Copy = new(["app.py"], "/app/");

    [Fact]
    public void Keys_are_the_same_in_every_process()
    {
        // Written down once, and recomputed by the reference encoder in docs/caching.md: no hash randomisation,
        // no culture, no dictionary order in a key.
        var key = Key(Run, Scope(args: [("B", "2"), ("A", "1")], env: [("MODE", "release")]));
        Assert.Equal("sha256:ac5197a9fb7eecd2d99f8a53747608ffb0204b97bd1d3631354ba100d7f966a9", key.ToString());
    }

    [Fact]
    public void The_same_inputs_give_the_same_key()
    {
        Assert.Equal(Key(Run, Scope(args: [("A", "1")])), Key(Run, Scope(args: [("A", "1")])));
        Assert.Equal(Key(Copy), Key(Copy with { }));
    }

    [Fact]
    public void The_instruction_text_changes_the_key()
    {
        Assert.NotEqual(Key(Run).Digest, Key(Run with { Command = Command.Shell("make all") }).Digest);
        Assert.NotEqual(Key(Run).Digest, Key(Run with { Command = Command.Exec("make") }).Digest);
        Assert.NotEqual(Key(Copy).Digest, Key(Copy with { Destination = "/srv/" }).Digest);
    }

    [Fact]
    public void The_source_location_does_not_change_the_key()
    {
        Assert.Equal(Key(Run).Digest, Key(Run with { Location = new SourceLocation("other/build.csx", 42) }).Digest);
    }

    [Fact]
    public void The_parent_key_changes_the_key()
    {
        var otherParent = Key(new EnvInstruction([new("A", "1")]));
        Assert.NotEqual(Key(Run).Digest, Key(Run, parent: otherParent).Digest);
    }

    [Fact]
    public void The_base_digest_and_the_platform_change_the_root_and_so_every_key()
    {
        var root = new CacheKeyRoot.Image(BaseDigest, Platform.LinuxAmd64).Key;
        var otherDigest = new CacheKeyRoot.Image(Digest.Sha256("another manifest"u8), Platform.LinuxAmd64).Key;
        var otherPlatform = new CacheKeyRoot.Image(BaseDigest, Platform.Parse("linux/arm64")).Key;
        Assert.Equal(3, new[] { root, otherDigest, otherPlatform }.Select(k => Key(Run, parent: k).Digest).Distinct().Count());
        Assert.NotEqual(new CacheKeyRoot.Scratch(Platform.LinuxAmd64).Key.Digest, new CacheKeyRoot.Scratch(Platform.Parse("linux/arm64")).Key.Digest);
        Assert.Equal(root.Digest, new CacheKeyRoot.Image(BaseDigest, Platform.Parse("Linux/AMD64")).Key.Digest);
    }

    [Fact]
    public void A_stage_root_is_the_upstream_last_key()
    {
        var upstream = Key(Run);
        Assert.Equal(upstream, new CacheKeyRoot.Stage("build", upstream).Key);
    }

    [Fact]
    public void A_visible_build_arg_changes_a_run_key()
    {
        Assert.NotEqual(Key(Run, Scope(args: [("VERSION", "1")])).Digest, Key(Run, Scope(args: [("VERSION", "2")])).Digest);
        Assert.NotEqual(Key(Run).Digest, Key(Run, Scope(args: [("VERSION", "1")])).Digest);
    }

    [Fact]
    public void An_env_value_changes_a_run_key()
    {
        Assert.NotEqual(Key(Run, Scope(env: [("MODE", "debug")])).Digest, Key(Run, Scope(env: [("MODE", "release")])).Digest);
    }

    [Fact]
    public void A_build_arg_shadowed_by_env_does_not_change_a_run_key()
    {
        // RUN sees ENV's value when both name the variable.
        Assert.Equal(Key(Run, Scope(args: [("MODE", "a")], env: [("MODE", "x")])).Digest, Key(Run, Scope(args: [("MODE", "b")], env: [("MODE", "x")])).Digest);
    }

    [Fact]
    public void The_order_args_and_env_were_declared_in_does_not_change_a_run_key()
    {
        Assert.Equal(Key(Run, Scope(args: [("A", "1"), ("B", "2")])).Digest, Key(Run, Scope(args: [("B", "2"), ("A", "1")])).Digest);
    }

    [Fact]
    public void Steps_other_than_run_do_not_see_args_or_env()
    {
        var scope = Scope(args: [("VERSION", "1")], env: [("MODE", "x")]);
        Assert.Equal(Key(Copy).Digest, Key(Copy, scope).Digest);
        Assert.Equal(Key(new UserInstruction("app")).Digest, Key(new UserInstruction("app"), scope).Digest);
    }

    [Fact]
    public void The_arg_step_keys_on_the_name_only()
    {
        Assert.Equal(Key(new ArgInstruction("VERSION", "1")).Digest, Key(new ArgInstruction("VERSION", "2")).Digest);
        Assert.NotEqual(Key(new ArgInstruction("VERSION", "1")).Digest, Key(new ArgInstruction("RELEASE", "1")).Digest);
    }

    [Fact]
    public void The_copied_content_changes_a_copy_key()
    {
        Assert.NotEqual(Key(Copy, inputs: Inputs("a")).Digest, Key(Copy, inputs: Inputs("b")).Digest);
    }

    [Fact]
    public void Copy_flags_change_the_key()
    {
        var keys = new[]
        {
            Key(Copy), Key(Copy with { Chown = "1000:1000" }), Key(Copy with { Chown = "app" }), Key(Copy with { Chmod = "0644" }),
            Key(Copy with { Chmod = "0755" }), Key(Copy with { Link = true }), Key(Copy with { From = new ImageSource.Stage("build") }),
        };
        Assert.Equal(keys.Length, keys.Select(k => k.Digest).Distinct().Count());
    }

    [Fact]
    public void Run_flags_change_the_key()
    {
        var cache = new CacheMount("/root/.npm");
        var secret = new SecretMount("npmrc");
        var keys = new[]
        {
            Key(Run),
            Key(Run with { Options = RunOptions.Default with { Network = false } }),
            Key(Run with { Options = RunOptions.Default with { CacheMounts = [cache] } }),
            Key(Run with { Options = RunOptions.Default with { CacheMounts = [cache with { Target = "/root/.cache" }] } }),
            Key(Run with { Options = RunOptions.Default with { CacheMounts = [cache with { Id = "npm" }] } }),
            Key(Run with { Options = RunOptions.Default with { CacheMounts = [cache with { Sharing = "locked" }] } }),
            Key(Run with { Options = RunOptions.Default with { CacheMounts = [cache with { Uid = 1000 }] } }),
            Key(Run with { Options = RunOptions.Default with { CacheMounts = [cache with { Gid = 1000 }] } }),
            Key(Run with { Options = RunOptions.Default with { CacheMounts = [cache with { Mode = "0700" }] } }),
            Key(Run with { Options = RunOptions.Default with { CacheMounts = [cache with { Uid = 1000, Gid = 1000 }] } }),
            Key(Run with { Options = RunOptions.Default with { Secrets = [secret] } }),
            Key(Run with { Options = RunOptions.Default with { Secrets = [secret with { Id = "token" }] } }),
            Key(Run with { Options = RunOptions.Default with { Secrets = [secret with { Target = "/root/.npmrc" }] } }),
            Key(Run with { Options = RunOptions.Default with { Secrets = [secret with { Required = true }] } }),
        };
        Assert.Equal(keys.Length, keys.Select(k => k.Digest).Distinct().Count());
    }

    [Fact]
    public void A_bind_mount_keys_on_what_it_mounts_and_how()
    {
        var bind = new BindMount("/src", "go.sum");
        var run = Run with { Options = RunOptions.Default with { Binds = [bind] } };
        StepInputs Mounted(string content) => new() { Binds = [Content(content)] };

        Assert.Equal(Key(run, inputs: Mounted("v1")).Digest, Key(run, inputs: Mounted("v1")).Digest);
        var keys = new[]
        {
            Key(run, inputs: Mounted("v1")),
            Key(run, inputs: Mounted("v2")),
            Key(run with { Options = RunOptions.Default with { Binds = [bind with { Target = "/other" }] } }, inputs: Mounted("v1")),
            Key(run with { Options = RunOptions.Default with { Binds = [bind with { Source = "go.mod" }] } }, inputs: Mounted("v1")),
            Key(run with { Options = RunOptions.Default with { Binds = [bind with { ReadWrite = true }] } }, inputs: Mounted("v1")),
            Key(run with { Options = RunOptions.Default with { Binds = [bind with { From = new ImageSource.Stage("build") }] } }, inputs: Mounted("v1")),
            Key(Run),
        };
        Assert.Equal(keys.Length, keys.Select(k => k.Digest).Distinct().Count());
        Assert.Equal(Content("v2").Digest.ToString(), keys[1].Part("mount:/src")!.Value);
        Assert.Throws<ArgumentException>(() => Key(run, inputs: StepInputs.None));
    }

    [Fact]
    public void Tmpfs_and_ssh_mounts_key_on_their_fields_and_a_run_without_mounts_keeps_its_parts()
    {
        var keys = new[]
        {
            Key(Run),
            Key(Run with { Options = RunOptions.Default with { TmpfsMounts = [new TmpfsMount("/tmp")] } }),
            Key(Run with { Options = RunOptions.Default with { TmpfsMounts = [new TmpfsMount("/tmp", 1 << 20)] } }),
            Key(Run with { Options = RunOptions.Default with { TmpfsMounts = [new TmpfsMount("/scratch")] } }),
            Key(Run with { Options = RunOptions.Default with { SshMounts = [new SshMount()] } }),
            Key(Run with { Options = RunOptions.Default with { SshMounts = [new SshMount("github")] } }),
            Key(Run with { Options = RunOptions.Default with { SshMounts = [new SshMount(Target: "/agent.sock")] } }),
        };
        Assert.Equal(keys.Length, keys.Select(k => k.Digest).Distinct().Count());
        // The agent's keys are not an input: `required` says only whether a missing agent fails the step.
        Assert.Equal(keys[4].Digest, Key(Run with { Options = RunOptions.Default with { SshMounts = [new SshMount(Required: true)] } }).Digest);
        Assert.DoesNotContain(keys[0].Parts, p => p.Name is "bind-mounts" or "tmpfs-mounts" or "ssh-mounts");
    }

    [Fact]
    public void Add_keys_on_the_checksum_or_on_the_url_validator()
    {
        var add = new AddInstruction(["https://example.com/tool.tgz"], "/opt/");
        var etag = new StepInputs { Urls = [KeyValuePair.Create("https://example.com/tool.tgz", UrlValidator.ETag("\"v1\""))] };
        var etag2 = new StepInputs { Urls = [KeyValuePair.Create("https://example.com/tool.tgz", UrlValidator.ETag("\"v2\""))] };
        Assert.NotEqual(Key(add, inputs: etag).Digest, Key(add, inputs: etag2).Digest);

        var pinned = add with { Checksum = "sha256:" + new string('a', 64) };
        Assert.Equal(Key(pinned, inputs: etag).Digest, Key(pinned, inputs: etag2).Digest);
        Assert.NotEqual(Key(pinned).Digest, Key(pinned with { Checksum = "sha256:" + new string('b', 64) }).Digest);
        Assert.Throws<ArgumentException>(() => Key(add, inputs: StepInputs.None));
    }

    [Fact]
    public void Credentials_in_a_url_never_appear_in_the_parts()
    {
        var add = new AddInstruction(["https://user:s3cr3t-token@example.com/tool.tgz"], "/opt/") { Checksum = "sha256:" + new string('a', 64) };
        var key = Key(add);
        Assert.DoesNotContain(key.Parts, p => p.Name.Contains("s3cr3t", StringComparison.Ordinal) || (p.Value ?? "").Contains("s3cr3t", StringComparison.Ordinal));
        Assert.Contains(key.Parts, p => p.Name == "url:https://example.com/tool.tgz");
    }

    [Fact]
    public void Build_arg_and_env_values_appear_only_as_digests()
    {
        var key = Key(Run with { Options = RunOptions.Default with { Secrets = [new SecretMount("npmrc")] } },
            Scope(args: [("TOKEN", "ghp_supersecret")], env: [("PASSWORD", "hunter2")]));
        Assert.All(key.Parts, p => Assert.DoesNotContain("supersecret", p.Value ?? ""));
        Assert.All(key.Parts, p => Assert.DoesNotContain("hunter2", p.Value ?? ""));
        Assert.StartsWith("sha256:", key.Part("arg:TOKEN")!.Value);
    }

    [Fact]
    public void The_parts_name_every_input_in_hash_order()
    {
        var key = Key(Copy with { Chown = "app" }, inputs: new StepInputs { Content = Content("x") with { Groups = [KeyValuePair.Create("app.py", Digest.Sha256("x"u8))] } });
        Assert.Equal(["version", "parent", "instruction", "sources", "destination", "from", "chown", "chmod", "link", "inline", "content", "content:app.py"], key.Parts.Select(p => p.Name));
        Assert.Equal("COPY", key.Part("instruction")!.Value);
        Assert.Equal("app", key.Part("chown")!.Value);
        Assert.Null(key.Part("chmod")!.Value);
        Assert.Equal(CacheKeyBuilder.FormatVersion, key.Part("version")!.Value);
    }

    public static IEnumerable<Instruction> EveryInstruction() =>
    [
        new RunInstruction(Command.Shell("make"), RunOptions.Default),
        new CopyInstruction(["a.txt"], "/app/") { From = new ImageSource.Stage("build"), Chown = "1:1", Chmod = "0644" },
        new AddInstruction(["a.tar", "https://example.com/x"], "/d/") { Chown = "1:1", Chmod = "0644", Checksum = "sha256:" + new string('a', 64) },
        new EnvInstruction([new("A", "1")]),
        new ArgInstruction("X", "1"),
        new WorkdirInstruction("/app"),
        new UserInstruction("app"),
        new LabelInstruction([new("a", "b")]),
        new ExposeInstruction(["80"]),
        new VolumeInstruction(["/data"]),
        new EntrypointInstruction(Command.Exec("/app")),
        new CmdInstruction(Command.Exec("serve")),
        new HealthcheckInstruction(Command.Exec("true")) { Interval = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromSeconds(2), StartPeriod = TimeSpan.FromSeconds(3), StartInterval = TimeSpan.FromSeconds(4), Retries = 3 },
        new StopSignalInstruction("SIGTERM"),
        new ShellInstruction(["/bin/sh", "-c"]),
        new OnbuildInstruction("RUN make"),
        new MaintainerInstruction("team@example.com"),
    ];

    [Fact]
    public void Every_field_of_every_instruction_is_in_its_key()
    {
        var samples = EveryInstruction().ToList();
        var types = typeof(Instruction).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(Instruction)) && !t.IsAbstract);
        Assert.Equal(types.Select(t => t.Name).Order(), samples.Select(s => s.GetType().Name).Order());

        // By design, ARG's value reaches only the RUN steps that see it (their scope), not the ARG step's own key.
        // COPY --from's stage name as its Dockerfile writes it is only shown (history, plans); the key covers what is copied.
        var exempt = new HashSet<string> { "ArgInstruction.Value", "CopyInstruction.FromAsWritten" };
        var checkedFields = 0;
        foreach (var sample in samples)
        {
            var before = Key(sample);
            foreach (var property in sample.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.DeclaringType != typeof(Instruction)))
            {
                if (exempt.Contains(sample.GetType().Name + "." + property.Name)) continue;
                var changed = (Instruction)sample.GetType().GetMethod("<Clone>$")!.Invoke(sample, null)!;
                property.SetValue(changed, Mutate(property.GetValue(sample), property.PropertyType));
                Assert.True(before.Digest != Key(changed).Digest, $"{sample.Keyword}: changing {property.Name} keeps the key");
                checkedFields++;
            }
        }
        Assert.True(checkedFields >= 30, $"only {checkedFields} fields were checked");
    }

    private static object? Mutate(object? value, Type type) => value switch
    {
        _ when type == typeof(string) => (string?)value + "x",
        bool b => !b,
        int i => i + 1,
        TimeSpan t => t + TimeSpan.FromSeconds(1),
        Command c => new Command(!c.IsShellForm, c.Arguments),
        null when type == typeof(Command) => Command.Exec("x"),
        RunOptions o => o with { Network = !o.Network },
        EquatableArray<string> list => list.Add("x"),
        EquatableArray<KeyValuePair<string, string>> pairs => pairs.Add(new("x", "y")),
        EquatableArray<InlineFile> files => files.Add(new InlineFile("x", "y")),
        ImageSource => null,
        null when type == typeof(ImageSource) => new ImageSource.Stage("x"),
        null when Nullable.GetUnderlyingType(type) == typeof(int) => 1,
        null when Nullable.GetUnderlyingType(type) == typeof(TimeSpan) => TimeSpan.FromSeconds(1),
        _ => throw new InvalidOperationException($"no mutation for {type}"),
    };
}
