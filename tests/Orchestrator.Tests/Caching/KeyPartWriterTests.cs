using Orchestrator.Caching;

namespace Orchestrator.Tests.Caching;

public sealed class KeyPartWriterTests
{
    private static byte[] Encode(Action<KeyPartWriter> write)
    {
        var writer = new KeyPartWriter();
        write(writer);
        return writer.Written.ToArray();
    }

    [Fact]
    public void A_part_is_tag_name_length_name_value_length_value()
    {
        var bytes = Encode(w => w.Text("ab", "xyz"));
        Assert.Equal(
            new byte[] { 0x01, 0, 0, 0, 2, (byte)'a', (byte)'b', 0, 0, 0, 0, 0, 0, 0, 3, (byte)'x', (byte)'y', (byte)'z' },
            bytes);
    }

    [Fact]
    public void Moving_a_boundary_between_parts_changes_the_encoding()
    {
        Assert.NotEqual(Encode(w => w.Text("a", "bc").Text("d", "")), Encode(w => w.Text("a", "b").Text("d", "c")));
        Assert.NotEqual(Encode(w => w.List("l", ["a b", "c"], (x, s) => x.Text("", s))), Encode(w => w.List("l", ["a", "b c"], (x, s) => x.Text("", s))));
        Assert.NotEqual(Encode(w => w.Text("ab", "c")), Encode(w => w.Text("a", "bc")));
    }

    [Fact]
    public void Absent_empty_and_typed_values_differ()
    {
        var encodings = new[]
        {
            Encode(w => w.Text("v", null)),
            Encode(w => w.Text("v", "")),
            Encode(w => w.Text("v", "1")),
            Encode(w => w.Integer("v", 1)),
            Encode(w => w.Boolean("v", true)),
            Encode(w => w.Group("v", g => g.Text("", "1"))),
            Encode(w => w.List("v", ["1"], (g, s) => g.Text("", s))),
        };
        Assert.Equal(encodings.Length, encodings.Select(Convert.ToHexString).Distinct().Count());
    }

    [Fact]
    public void A_group_carries_the_length_of_its_nested_parts()
    {
        var nested = Encode(w => w.Text("x", "1"));
        var group = Encode(w => w.Group("g", g => g.Text("x", "1")));
        Assert.Equal(1 + 4 + 1 + 8 + nested.Length, group.Length);
        Assert.Equal((byte)nested.Length, group[13]);
        Assert.Equal(nested, group[14..]);
    }
}
