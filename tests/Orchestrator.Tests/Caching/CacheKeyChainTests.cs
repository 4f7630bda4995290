using System.Runtime.Versioning;
using Orchestrator.Caching;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Recipes;

namespace Orchestrator.Tests.Caching;

[SupportedOSPlatform("linux")]
public sealed class CacheKeyChainTests : IDisposable
{
    private readonly KeyTestContext _test = new();

    public CacheKeyChainTests()
    {
        _test.Write("requirements.txt", "flask\n");
        _test.Write("app.py", "print('hello')\n");
        _test.Write("src/lib/util.py", "def f(): pass\n");
        _test.Write("src/lib/debug.log", "noise\n");
        _test.Write("docs/readme.md", "# app\n");
        _test.Write(".dockerignore", "**/*.log\n");
    }

    public void Dispose() => _test.Dispose();

    // 0 ARG, 1 COPY requirements, 2 RUN pip, 3 COPY app.py + src, 4 ENV, 5 RUN build
    private StageRecipe App(string version = "1", string? chown = null) => _test.Stage(
        new ArgInstruction("VERSION", version),
        new CopyInstruction(["requirements.txt"], "/app/"),
        new RunInstruction(Command.Shell("pip install -r /app/requirements.txt"), RunOptions.Default),
        new CopyInstruction(["app.py", "src"], "/app/") { Chown = chown },
        new EnvInstruction([new("MODE", "release")]),
        new RunInstruction(Command.Shell("python -m compileall /app"), RunOptions.Default));

    private Task<Digest?[]> KeysAsync(StageRecipe? stage = null) => _test.DigestsAsync(stage ?? App());

    private static void AssertChangedFrom(Digest?[] before, Digest?[] after, int firstChanged)
    {
        for (var i = 0; i < before.Length; i++)
            if (i < firstChanged) Assert.True(before[i] == after[i], $"step {i} changed, but the change is at step {firstChanged}");
            else Assert.True(before[i] != after[i], $"step {i} kept its key after a change at step {firstChanged}");
    }

    [Fact]
    public async Task Keys_are_stable_across_runs()
    {
        var first = await KeysAsync();
        Assert.All(first, k => Assert.True(k.HasValue));
        Assert.Equal(first, await KeysAsync());
        Assert.Equal(6, first.Distinct().Count());
    }

    [Fact]
    public async Task An_mtime_touch_keeps_every_key()
    {
        var before = await KeysAsync();
        foreach (var file in Directory.EnumerateFiles(_test.Context, "*", SearchOption.AllDirectories))
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddHours(-3));
        Directory.SetLastWriteTimeUtc(Path.Combine(_test.Context, "src"), DateTime.UtcNow.AddDays(-1));
        Assert.Equal(before, await KeysAsync());
    }

    [Fact]
    public async Task A_dockerignored_file_changed_keeps_every_key()
    {
        var before = await KeysAsync();
        _test.Write("src/lib/debug.log", "much more noise\n");
        _test.Write("src/lib/new.log", "new\n");
        Assert.Equal(before, await KeysAsync());
    }

    [Fact]
    public async Task An_unselected_file_changed_keeps_every_key()
    {
        var before = await KeysAsync();
        _test.Write("docs/readme.md", "# app, documented\n");
        _test.Write("notes.txt", "new file nobody copies\n");
        Assert.Equal(before, await KeysAsync());
    }

    [Fact]
    public async Task An_arg_the_step_cannot_see_keeps_its_key()
    {
        // COPY does not see args; the RUN after the ARG does, and everything after it chains to that RUN.
        AssertChangedFrom(await KeysAsync(App(version: "1")), await KeysAsync(App(version: "2")), firstChanged: 2);

        var runBeforeArg = (string v) => _test.Stage(new RunInstruction(Command.Shell("make"), RunOptions.Default), new ArgInstruction("VERSION", v));
        Assert.Equal(await KeysAsync(runBeforeArg("1")), await KeysAsync(runBeforeArg("2")));
    }

    [Fact]
    public async Task Readdir_order_and_creation_order_keep_every_key()
    {
        var before = await KeysAsync();
        // The same files made again in the opposite order: other inodes, another directory order.
        var files = Directory.EnumerateFiles(_test.Context, "*", SearchOption.AllDirectories).Select(f => (Path: f, Text: File.ReadAllText(f))).ToList();
        Directory.Delete(_test.Context, recursive: true);
        Directory.CreateDirectory(_test.Context);
        foreach (var (path, text) in Enumerable.Reverse(files))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
        }
        Assert.Equal(before, await KeysAsync());
    }

    [Fact]
    public async Task A_content_byte_changes_the_copy_and_every_later_key()
    {
        var before = await KeysAsync();
        _test.Write("src/lib/util.py", "def f(): pass!\n");
        AssertChangedFrom(before, await KeysAsync(), firstChanged: 3);
    }

    [Fact]
    public async Task A_change_in_step_two_changes_step_three()
    {
        var before = await KeysAsync();
        _test.Write("requirements.txt", "flask==3\n");
        AssertChangedFrom(before, await KeysAsync(), firstChanged: 1);
    }

    [Fact]
    public async Task A_mode_changes_the_key_unless_chmod_sets_it()
    {
        var before = await KeysAsync();
        File.SetUnixFileMode(Path.Combine(_test.Context, "app.py"), (UnixFileMode)Convert.ToInt32("755", 8));
        AssertChangedFrom(before, await KeysAsync(), firstChanged: 3);

        var chmod = (UnixFileMode mode) =>
        {
            File.SetUnixFileMode(Path.Combine(_test.Context, "app.py"), mode);
            return KeysAsync(_test.Stage(new CopyInstruction(["app.py"], "/app/") { Chmod = "0640" }));
        };
        Assert.Equal(await chmod((UnixFileMode)Convert.ToInt32("600", 8)), await chmod((UnixFileMode)Convert.ToInt32("755", 8)));
    }

    [Fact]
    public async Task The_owner_set_by_chown_changes_the_key()
    {
        AssertChangedFrom(await KeysAsync(App(chown: "1000:1000")), await KeysAsync(App(chown: "1001:1000")), firstChanged: 3);
        AssertChangedFrom(await KeysAsync(App()), await KeysAsync(App(chown: "app")), firstChanged: 3);
    }

    [Fact]
    public async Task A_link_target_changes_the_key()
    {
        File.CreateSymbolicLink(Path.Combine(_test.Context, "src/current"), "lib");
        var before = await KeysAsync();
        File.Delete(Path.Combine(_test.Context, "src/current"));
        File.CreateSymbolicLink(Path.Combine(_test.Context, "src/current"), "lib2");
        AssertChangedFrom(before, await KeysAsync(), firstChanged: 3);
    }

    [Fact]
    public async Task An_empty_folder_changes_the_key()
    {
        var before = await KeysAsync();
        Directory.CreateDirectory(Path.Combine(_test.Context, "src/empty"));
        AssertChangedFrom(before, await KeysAsync(), firstChanged: 3);
    }

    [Fact]
    public async Task A_renamed_wildcard_match_changes_the_key()
    {
        var stage = _test.Stage(new CopyInstruction(["*.py"], "/app/"));
        var before = await KeysAsync(stage);
        File.Move(Path.Combine(_test.Context, "app.py"), Path.Combine(_test.Context, "main.py"));
        Assert.NotEqual(before, await KeysAsync(stage));
    }

    [Fact]
    public async Task The_base_digest_changes_every_key()
    {
        var before = await KeysAsync();
        _test.Inputs.Bases["debian:bookworm"] = Digest.Sha256("a newer bookworm"u8);
        AssertChangedFrom(before, await KeysAsync(), firstChanged: 0);
    }

    [Fact]
    public async Task The_platform_changes_every_key()
    {
        var amd64 = (await _test.KeysAsync([App()], platform: Platform.LinuxAmd64))["app"].Steps.Select(s => s.Key!.Digest).ToArray();
        var arm64 = (await _test.KeysAsync([App() with { Platform = "linux/arm64" }], platform: Platform.LinuxAmd64))["app"].Steps.Select(s => s.Key!.Digest).ToArray();
        Assert.Empty(amd64.Intersect(arm64));
    }

    [Fact]
    public async Task A_stage_built_from_another_chains_to_its_last_key()
    {
        var build = _test.Stage("build", ImageSource.Scratch.Instance, new CopyInstruction(["app.py"], "/app/"));
        var final = _test.Stage("final", new ImageSource.Stage("build"), new UserInstruction("app"));
        var keys = await _test.KeysAsync([build, final]);
        Assert.Equal(keys["build"].LastKey!.Digest, keys["final"].Steps[0].Key!.Part("parent")!.Value is { } parent ? Digest.Parse(parent) : default);

        _test.Write("app.py", "print('changed')\n");
        var after = await _test.KeysAsync([build, final]);
        Assert.NotEqual(keys["final"].LastKey, after["final"].LastKey);
    }

    /// <summary>A child stage's RUN sees the ARG values of the stage it is built FROM, so they are in its key.</summary>
    [Fact]
    public async Task A_run_in_a_child_stage_keys_on_the_arg_values_it_inherits()
    {
        async Task<CacheKey> ChildRunKey(string value)
        {
            var parent = _test.Stage("parent", ImageSource.Scratch.Instance, new ArgInstruction("NAME", value));
            var child = _test.Stage("child", new ImageSource.Stage("parent"), new RunInstruction(Command.Shell("echo $NAME > /f"), RunOptions.Default));
            return (await _test.KeysAsync([parent, child]))["child"].LastKey!;
        }

        var one = await ChildRunKey("one");
        Assert.Equal(one, await ChildRunKey("one"));
        Assert.NotEqual(one, await ChildRunKey("two"));
    }

    [Fact]
    public async Task Copy_from_a_stage_not_built_yet_is_pending_from_that_step_on()
    {
        var app = _test.Stage("app", new ImageSource.Registry("debian:bookworm"),
            new WorkdirInstruction("/app"),
            new CopyInstruction(["/out/app"], "./") { From = new ImageSource.Stage("build") },
            new CmdInstruction(Command.Exec("./app")));
        var child = _test.Stage("child", new ImageSource.Stage("app"), new UserInstruction("app"));
        var keys = await _test.KeysAsync([app, child]);

        Assert.True(keys["app"].Steps[0].IsKnown);
        Assert.All(keys["app"].Steps.Skip(1), s => Assert.Equal("build", s.Pending?.Stage));
        Assert.Contains("known once stage 'build' is built", keys["app"].Steps[1].Pending!.Message);
        Assert.Null(keys["child"].Root);
        Assert.Equal("build", keys["child"].Pending?.Stage);
        Assert.False(keys["child"].Steps[0].IsKnown);
    }

    [Fact]
    public async Task Copy_from_keys_depend_only_on_the_copied_content()
    {
        // Two builds of the upstream stage with different keys (another RUN) whose copied files are identical.
        var upstreamA = Path.Combine(_test.Root, "upstream-a");
        var upstreamB = Path.Combine(_test.Root, "upstream-b");
        _test.Write("out/app", "binary", upstreamA);
        _test.Write("out/app", "binary", upstreamB);
        _test.Write("out/build.log", "built at 10:00", upstreamA);
        _test.Write("out/build.log", "built at 11:00", upstreamB);
        var hasher = new CopySourceHasher(new FileContentHasher(null));

        async Task<(Digest Upstream, Digest Copy, Digest After)> KeysWithAsync(string upstreamCommand, string upstreamFiles)
        {
            var build = _test.Stage("build", ImageSource.Scratch.Instance, new RunInstruction(Command.Shell(upstreamCommand), RunOptions.Default));
            var app = _test.Stage("app", new ImageSource.Registry("debian:bookworm"),
                new CopyInstruction(["/out/app"], "/usr/local/bin/") { From = new ImageSource.Stage("build") },
                new UserInstruction("app"));
            var copied = await hasher.HashFolderAsync(upstreamFiles, ["out/app"], null, null, CancellationToken.None);
            _test.Inputs.CopiedContent = request => request.From == new ImageSource.Stage("build") && request.Sources.SequenceEqual(["/out/app"]) ? copied : null;
            var keys = await _test.KeysAsync([build, app]);
            return (keys["build"].LastKey!.Digest, keys["app"].Steps[0].Key!.Digest, keys["app"].Steps[1].Key!.Digest);
        }

        var a = await KeysWithAsync("make", upstreamA);
        var b = await KeysWithAsync("make V=1", upstreamB);
        Assert.NotEqual(a.Upstream, b.Upstream);
        Assert.Equal(a.Copy, b.Copy);
        Assert.Equal(a.After, b.After);

        _test.Write("out/app", "another binary", upstreamB);
        var c = await KeysWithAsync("make V=1", upstreamB);
        Assert.NotEqual(a.Copy, c.Copy);
    }

    [Fact]
    public async Task Add_of_a_url_without_checksum_waits_for_its_validator()
    {
        const string url = "https://example.com/tool.tgz";
        var stage = _test.Stage(new WorkdirInstruction("/opt"), new AddInstruction([url], "/opt/"), new UserInstruction("app"));
        var pending = await _test.KeysAsync(stage);
        Assert.True(pending.Steps[0].IsKnown);
        Assert.Null(pending.Steps[1].Pending!.Source);
        Assert.False(pending.Steps[2].IsKnown);

        _test.Inputs.Validators[url] = UrlValidator.ETag("\"v1\"");
        var v1 = await KeysAsync(stage);
        _test.Inputs.Validators[url] = UrlValidator.LastModified(DateTimeOffset.UnixEpoch);
        AssertChangedFrom(v1, await KeysAsync(stage), firstChanged: 1);
    }

    [Fact]
    public async Task A_missing_source_is_reported_with_the_stage_and_location()
    {
        var stage = _test.Stage(new CopyInstruction(["missing.py"], "/app/") { Location = new SourceLocation("/work/build.csx", 7) });
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => _test.KeysAsync(stage));
        Assert.Contains("build.csx(7,", error.Message);
        Assert.Contains("app: ", error.Message);
        Assert.Contains("'missing.py' not found", error.Message);
    }
}
