using Orchestrator.Recipes;

namespace Orchestrator.Tests.Recipes;

/// <summary>EXPOSE words as Docker reads them (the BuildKit golden of the expose-ranges-home case checks the image).</summary>
public sealed class ExposedPortTests
{
    [Theory]
    [InlineData("80", "80/tcp")]
    [InlineData("53/UDP", "53/udp")]
    [InlineData("8000-8002/udp", "8000/udp 8001/udp 8002/udp")]
    [InlineData("8080:80", "80/tcp")]
    [InlineData("127.0.0.1:8080:80/sctp", "80/sctp")]
    [InlineData("9000-9000", "9000/tcp")]
    public void A_word_gives_the_config_keys_docker_gives(string spec, string keys)
    {
        Assert.True(ExposedPort.TryExpand(spec, out var expanded, out var error), error);
        Assert.Equal(keys.Split(' '), expanded);
    }

    [Theory]
    [InlineData("80/http", "protocol 'http' is not tcp, udp or sctp")]
    [InlineData("web", "'web' is not a port")]
    [InlineData("70000", "'70000' is not a port")]
    [InlineData("-80", "'-80' is not a port")]
    [InlineData("8002-8000", "the range 8002-8000 ends before it starts")]
    public void A_word_that_is_no_port_says_why(string spec, string reason)
    {
        Assert.False(ExposedPort.TryExpand(spec, out _, out var error));
        Assert.StartsWith($"EXPOSE '{spec}': {reason}", error);
    }

    [Fact]
    public void A_recipe_exposing_no_port_is_an_error_at_its_line()
    {
        var book = new RecipeBook();
        book.Image("web").From("busybox").Expose("8080", "80/http").Output("out/web");

        var error = Assert.Single(Assert.Throws<RecipeException>(() => book.Build()).Errors);

        Assert.Equal("image 'web': EXPOSE '80/http': protocol 'http' is not tcp, udp or sctp", error.Message);
        Assert.EndsWith(nameof(ExposedPortTests) + ".cs", error.Location.File);
    }
}
