using Orchestrator.Dockerfiles;

namespace Orchestrator.Tests.Dockerfiles;

public class DockerfileRoundTripTests
{
    public static IEnumerable<object[]> Cases => DockerfileCases.All();

    [Fact]
    public void There_are_at_least_25_real_world_shapes() =>
        Assert.True(Cases.Count() >= 25, $"only {Cases.Count()} cases under {DockerfileCases.Directory}");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Parse_render_parse_gives_the_same_model(string name)
    {
        var original = DockerfileCases.Parse(name);
        var rendered = DockerfileRenderer.Render(original.Stages);
        var reparsed = DockerfileCases.ParseText(rendered);

        var expected = DockerfileCases.WithoutLocations(original.Stages);
        var actual = DockerfileCases.WithoutLocations(reparsed.Stages);
        Assert.True(expected.Count == actual.Count, $"stage count differs; rendered:\n{rendered}");
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Name, actual[i].Name);
            Assert.Equal(expected[i].Base, actual[i].Base);
            Assert.Equal(expected[i].Platform, actual[i].Platform);
            Assert.Equal(expected[i].Instructions.Count, actual[i].Instructions.Count);
            for (var j = 0; j < expected[i].Instructions.Count; j++)
                Assert.True(expected[i].Instructions[j].Equals(actual[i].Instructions[j]),
                    $"stage {expected[i].Name} instruction {j}:\n  parsed:   {expected[i].Instructions[j]}\n  reparsed: {actual[i].Instructions[j]}\nrendered:\n{rendered}");
            Assert.Equal(expected[i], actual[i]);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rendering_is_stable(string name)
    {
        var rendered = DockerfileRenderer.Render(DockerfileCases.Parse(name).Stages);
        Assert.Equal(rendered, DockerfileRenderer.Render(DockerfileCases.ParseText(rendered).Stages));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_instruction_knows_its_Dockerfile_line(string name)
    {
        var path = DockerfileCases.PathOf(name);
        var lines = File.ReadAllLines(path);
        foreach (var stage in DockerfileCases.Parse(name).Stages)
        {
            Assert.StartsWith("FROM", lines[stage.Location.Line - 1].TrimStart(), StringComparison.OrdinalIgnoreCase);
            foreach (var instruction in stage.Instructions)
            {
                Assert.Equal(path, instruction.Location.File);
                var line = lines[instruction.Location.Line - 1].TrimStart();
                Assert.StartsWith(instruction.Location.Member!, line, StringComparison.OrdinalIgnoreCase);
            }
        }
    }
}
