using System.Runtime.CompilerServices;
using Orchestrator.Dockerfiles;
using Orchestrator.Recipes;

namespace Orchestrator.Tests.Recipes;

/// <summary>How <c>oci:PATH[:TAG]</c> is read in recipes, where its errors point, and that a Dockerfile cannot carry it.</summary>
public sealed class LayoutSourceTests
{
    private static int NextLine([CallerLineNumber] int line = 0) => line + 1;

    private static readonly string Root = Path.Combine(Path.GetTempPath(), "layout-source-tests");

    [Theory]
    [InlineData("oci:out/base", "out/base", null)]
    [InlineData("oci:out/base:v1", "out/base", "v1")]
    [InlineData("oci:./vendor/debian:bookworm:slim", "vendor/debian", "bookworm:slim")]
    [InlineData("oci:/srv/images/base:latest", "/srv/images/base", "latest")]
    [InlineData("oci:../shared/base:1.0", "../shared/base", "1.0")]
    public void Path_is_relative_to_the_script_folder_and_the_tag_starts_at_the_first_colon(string text, string path, string? tag)
    {
        var book = new RecipeBook(Root);
        var stage = book.Image("app").From(text).Output("out/app").Build();
        var layout = Assert.IsType<ImageSource.Layout>(stage.Base);
        Assert.Equal(Path.GetFullPath(path, Root), layout.Path);
        Assert.Equal(tag, layout.Tag);
        Assert.Equal($"oci:{layout.Path}" + (tag is null ? "" : ":" + tag), layout.ToString());
    }

    [Fact]
    public void CopyFrom_takes_a_layout_too_and_other_references_stay_registry_images()
    {
        var book = new RecipeBook(Root);
        var stage = book.Image("app").From("docker.io/library/oci:1").CopyFrom("oci:tools:v2", "/bin/x", "/bin/").Output("out/app").Build();
        Assert.Equal(new ImageSource.Registry("docker.io/library/oci:1"), stage.Base);
        var copy = Assert.IsType<CopyInstruction>(stage.Instructions[0]);
        Assert.Equal(new ImageSource.Layout(Path.Combine(Root, "tools"), "v2"), copy.From);
    }

    [Fact]
    public void A_bad_tag_points_at_the_From_line()
    {
        var book = new RecipeBook(Root);
        var image = book.Image("app");
        var expected = NextLine();
        image.From("oci:out/base:-v1").Output("out/app");
        var error = Assert.Single(Assert.Throws<RecipeException>(() => book.Build()).Errors);
        Assert.Equal(expected, error.Location.Line);
        Assert.Contains("'-v1' is not a valid OCI layout tag", error.Message);
    }

    [Fact]
    public void A_copy_from_layout_without_a_folder_is_reported()
    {
        var book = new RecipeBook(Root);
        book.Image("app").From("busybox").CopyFrom("oci::v1", "/a", "/b").Output("out/app");
        var error = Assert.Single(Assert.Throws<RecipeException>(() => book.Build()).Errors);
        Assert.Contains("COPY --from image: 'oci::v1' names no folder", error.Message);
    }

    [Fact]
    public void A_layout_base_cannot_be_rendered_as_a_dockerfile()
    {
        var book = new RecipeBook(Root);
        var stage = book.Image("app").From("oci:out/base:v1").Output("out/app").Build();
        var error = Assert.Throws<OrchestratorException>(() => DockerfileRenderer.Render(stage));
        Assert.Contains(Path.Combine(Root, "out", "base"), error.Message);
        Assert.Contains("skopeo copy", error.Message);
    }
}
