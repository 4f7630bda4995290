using Orchestrator.Caching;
using Orchestrator.Recipes;

namespace Orchestrator.Tests.Caching;

public sealed class CacheKeyDifferenceTests : IDisposable
{
    private readonly KeyTestContext _test = new();

    public void Dispose() => _test.Dispose();

    private StageRecipe Stage(string version = "1", string? chown = null) => _test.Stage(
        new ArgInstruction("VERSION", version),
        new CopyInstruction(["app.py", "lib"], "/app/") { Chown = chown },
        new RunInstruction(Command.Shell("python -m compileall /app"), RunOptions.Default));

    private async Task<IReadOnlyList<CacheKey>> KeysAsync(StageRecipe stage) => (await _test.KeysAsync(stage)).Steps.Select(s => s.Key!).ToList();

    [Fact]
    public async Task A_changed_file_is_named()
    {
        _test.Write("app.py", "print(1)");
        _test.Write("lib/util.py", "u");
        var before = await KeysAsync(Stage());
        _test.Write("app.py", "print(2)");
        var after = await KeysAsync(Stage());

        var copy = CacheKeyDifference.First(before[1], after[1]);
        Assert.Equal("content:app.py", copy!.Part);
        Assert.Equal("content of app.py changed", copy.Description);
        Assert.Equal("an earlier step (or the base) changed", CacheKeyDifference.First(before[2], after[2])!.Description);
        Assert.Null(CacheKeyDifference.First(before[0], after[0]));
    }

    [Fact]
    public async Task A_build_arg_and_a_flag_are_named()
    {
        _test.Write("app.py", "print(1)");
        _test.Write("lib/util.py", "u");
        var v1 = await KeysAsync(Stage(version: "1"));
        var v2 = await KeysAsync(Stage(version: "2"));
        Assert.Equal("build arg VERSION changed", CacheKeyDifference.First(v1[2], v2[2])!.Description);

        var owned = await KeysAsync(Stage(chown: "1000:1000"));
        Assert.Equal("--chown changed ((none) → 1000:1000)", CacheKeyDifference.First(v1[1], owned[1])!.Description);
    }

    [Fact]
    public void Added_and_removed_parts_are_named()
    {
        var run = new RunInstruction(Command.Shell("make"), RunOptions.Default);
        var without = CacheKeyTestData.Key(run);
        var with = CacheKeyTestData.Key(run, CacheKeyTestData.Scope(args: [("TOKEN", "x")]));
        Assert.Equal("build arg TOKEN is now set", CacheKeyDifference.First(without, with)!.Description);
        Assert.Equal("build arg TOKEN is no longer set", CacheKeyDifference.First(with, without)!.Description);
        Assert.Equal("command changed", CacheKeyDifference.First(without, CacheKeyTestData.Key(run with { Command = Command.Shell("make all") }))!.Description);
    }
}
