using Orchestrator.Caching;
using Orchestrator.Oci;
using Orchestrator.Recipes;

namespace Orchestrator.Tests.Caching;

public sealed class FileHashMemoTests : IDisposable
{
    private readonly KeyTestContext _test = new();
    private readonly StageRecipe _stage;
    private readonly long _contentBytes;

    public FileHashMemoTests()
    {
        var random = new Random(7);
        for (var i = 0; i < 40; i++)
        {
            var bytes = new byte[1000 + i * 37];
            random.NextBytes(bytes);
            var path = Path.Combine(_test.Context, $"src/d{i % 4}/f{i}.bin");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
            _contentBytes += bytes.Length;
        }
        _stage = _test.Stage(new CopyInstruction(["src"], "/app/"), new RunInstruction(Command.Shell("make"), RunOptions.Default));
    }

    public void Dispose() => _test.Dispose();

    private string[] MemoFiles() => Directory.GetFiles(Path.Combine(_test.Cache, "hash-memo"), "*.memo");

    [Fact]
    public async Task A_second_computation_reads_no_file_content()
    {
        var first = await _test.DigestsAsync(_stage);
        Assert.Equal(_contentBytes, _test.LastHasher!.BytesHashed);
        Assert.Equal(40, _test.LastHasher.FilesHashed);
        Assert.Single(MemoFiles());

        var second = await _test.DigestsAsync(_stage);
        Assert.Equal(first, second);
        Assert.Equal(0, _test.LastHasher!.BytesHashed);
        Assert.Equal(40, _test.LastHasher.MemoHits);
    }

    [Fact]
    public async Task Only_changed_files_are_read_again()
    {
        await _test.DigestsAsync(_stage);
        File.AppendAllText(Path.Combine(_test.Context, "src/d1/f5.bin"), "more");
        await _test.DigestsAsync(_stage);
        Assert.Equal(1, _test.LastHasher!.FilesHashed);
        Assert.Equal(39, _test.LastHasher.MemoHits);
    }

    [Fact]
    public async Task Content_rewritten_with_the_same_size_and_mtime_is_hashed_again()
    {
        var path = _test.Write("src/same.txt", "aaaa");
        var mtime = File.GetLastWriteTimeUtc(path);
        var before = await _test.DigestsAsync(_stage);
        File.WriteAllText(path, "bbbb");
        File.SetLastWriteTimeUtc(path, mtime);
        var after = await _test.DigestsAsync(_stage);
        Assert.NotEqual(before[0], after[0]);
        Assert.Equal(1, _test.LastHasher!.FilesHashed);
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("truncate")]
    [InlineData("garbage")]
    [InlineData("empty")]
    public async Task A_corrupt_memo_is_ignored(string damage)
    {
        var before = await _test.DigestsAsync(_stage);
        var memo = Assert.Single(MemoFiles());
        var bytes = File.ReadAllBytes(memo);
        switch (damage)
        {
            case "flip": bytes[bytes.Length / 2] ^= 0x40; break;
            case "truncate": bytes = bytes[..(bytes.Length * 2 / 3)]; break;
            case "garbage": new Random(1).NextBytes(bytes); break;
            case "empty": bytes = []; break;
        }
        File.WriteAllBytes(memo, bytes);

        Assert.Equal(before, await _test.DigestsAsync(_stage));
        Assert.Equal(_contentBytes, _test.LastHasher!.BytesHashed);
        // The bad memo was replaced by a good one.
        await _test.DigestsAsync(_stage);
        Assert.Equal(0, _test.LastHasher!.BytesHashed);
    }

    [Fact]
    public async Task A_memo_entry_with_a_forged_digest_is_rejected_by_the_memo_checksum()
    {
        var before = await _test.DigestsAsync(_stage);
        var memo = Assert.Single(MemoFiles());
        var bytes = File.ReadAllBytes(memo);
        // The last 32 bytes are the last entry's content digest: a memo edited there must not be believed.
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(memo, bytes);
        Assert.Equal(before, await _test.DigestsAsync(_stage));
        Assert.Equal(40, _test.LastHasher!.FilesHashed);
    }

    [Fact]
    public async Task Concurrent_writers_leave_a_whole_memo()
    {
        var runs = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var hasher = new FileContentHasher(_test.Cache, racyWindow: TimeSpan.Zero);
            var digest = await new CopySourceHasher(hasher).HashFolderAsync(_test.Context, ["src"], null, null, CancellationToken.None);
            await hasher.SaveMemosAsync(CancellationToken.None);
            return digest;
        })).ToList();
        var digests = await Task.WhenAll(runs);
        Assert.Single(digests.Distinct());
        Assert.Single(MemoFiles());
        Assert.Empty(Directory.GetFiles(Path.Combine(_test.Cache, "hash-memo"), "*.tmp-*"));

        var check = new FileContentHasher(_test.Cache);
        Assert.Equal(digests[0], await new CopySourceHasher(check).HashFolderAsync(_test.Context, ["src"], null, null, CancellationToken.None));
        Assert.Equal(40, check.MemoHits);
    }

    [Fact]
    public async Task A_file_changed_just_before_it_is_read_is_not_memoised()
    {
        // File times are coarse: within the racy window a later write could keep the identity, so the digest is not kept.
        await _test.DigestsAsync(_stage, racyWindow: TimeSpan.FromMinutes(10));
        Assert.Equal(40, _test.LastHasher!.FilesHashed);
        await _test.DigestsAsync(_stage, racyWindow: TimeSpan.FromMinutes(10));
        Assert.Equal(40, _test.LastHasher!.FilesHashed);
        Assert.Equal(0, _test.LastHasher.MemoHits);
    }

    [Fact]
    public async Task Digests_are_the_files_sha256_whatever_the_parallelism()
    {
        var files = Directory.GetFiles(Path.Combine(_test.Context, "src"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var expected = files.Select(f => Digest.Sha256(File.ReadAllBytes(f))).ToList();
        foreach (var parallelism in new[] { 1, 2, 8 })
        {
            var hasher = new FileContentHasher(null, parallelism);
            var toHash = files.Select(f => new FileToHash(_test.Context, Path.GetRelativePath(_test.Context, f), FileIdentity.Of(Orchestrator.Layers.Libc.LinkStatus(f)!.Value))).ToList();
            Assert.Equal(expected, await hasher.HashAsync(toHash, CancellationToken.None));
        }
    }
}
