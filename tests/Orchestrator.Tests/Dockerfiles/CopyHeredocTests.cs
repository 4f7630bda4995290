using Orchestrator.Dockerfiles;
using Orchestrator.Recipes;
using static Orchestrator.Tests.Dockerfiles.DockerfileCases;

namespace Orchestrator.Tests.Dockerfiles;

/// <summary>
/// COPY/ADD here-documents as BuildKit v0.11.6 reads them (instructions/parse.go parseSourcesAndDest, commands.go
/// ExpandRaw: the body is expanded with quotes kept as written and '\' as the escape, unless the delimiter is quoted);
/// the image side is the copy-heredocs conformance case, compared with BuildKit's golden.
/// </summary>
public sealed class CopyHeredocTests
{
    [Fact]
    public void A_document_is_a_file_named_after_its_delimiter_with_the_body_expanded()
    {
        var copy = Single<CopyInstruction>(ParseText("""
            FROM alpine:3.20
            ARG NAME=world
            ENV GREETING=hello
            COPY <<EOF /etc/app.conf
            $GREETING ${NAME} "quoted" 'single' \$literal
            EOF
            """).Stages[0]);

        Assert.Empty(copy.Sources);
        Assert.Equal("/etc/app.conf", copy.Destination);
        var file = Assert.Single(copy.Inline);
        Assert.Equal("EOF", file.Name);
        Assert.Equal("hello world \"quoted\" 'single' $literal\n", file.Content);
    }

    [Fact]
    public void A_quoted_delimiter_keeps_the_body_as_written()
    {
        var copy = Single<CopyInstruction>(ParseText("FROM alpine:3.20\nENV X=1\nCOPY <<'SCRIPT' /run.sh\necho \"$X\" \\$Y\nSCRIPT\n").Stages[0]);

        Assert.Equal("echo \"$X\" \\$Y\n", Assert.Single(copy.Inline).Content);
    }

    [Fact]
    public void Several_documents_and_files_with_flags_in_one_instruction()
    {
        var stage = ParseText("""
            FROM alpine:3.20
            COPY --chown=1000:50 --chmod=0640 a.txt <<one <<two /docs/
            first
            one
            second
            two
            ADD <<-TABS /added/
            	tab-indented
            	TABS
            """).Stages[0];

        var copy = Single<CopyInstruction>(stage);
        Assert.Equal(["a.txt"], copy.Sources);
        Assert.Equal([new InlineFile("one", "first\n"), new InlineFile("two", "second\n")], copy.Inline);
        Assert.Equal(("1000:50", "0640"), (copy.Chown, copy.Chmod));
        Assert.Equal([new InlineFile("TABS", "tab-indented\n")], Single<AddInstruction>(stage).Inline);
    }

    [Fact]
    public void A_document_as_the_destination_is_refused()
    {
        var error = Assert.Throws<RecipeException>(() => ParseText("FROM alpine:3.20\nCOPY a.txt <<EOF\nx\nEOF\n"));
        Assert.Contains("cannot be the destination", error.Message);
    }

    [Fact]
    public void Documents_render_back_to_the_same_instructions()
    {
        var document = ParseText("""
            FROM alpine:3.20
            ARG NAME=world
            COPY --chmod=0755 a.txt <<EOF <<'RAW' /opt/
            hello $NAME
            EOF
            echo "$HOME" \$x
            RAW
            ADD <<EOF /added.txt
            added
            EOF
            """);

        var again = ParseText(DockerfileRenderer.Render(document.Stages));

        Assert.Equal(document.Stages[0].Instructions.OfType<CopyInstruction>().Single() with { Location = SourceLocation.Unknown },
            again.Stages[0].Instructions.OfType<CopyInstruction>().Single() with { Location = SourceLocation.Unknown });
        Assert.Equal(document.Stages[0].Instructions.OfType<AddInstruction>().Single() with { Location = SourceLocation.Unknown },
            again.Stages[0].Instructions.OfType<AddInstruction>().Single() with { Location = SourceLocation.Unknown });
    }

    [Fact]
    public void The_recipe_dsl_writes_text_as_a_file()
    {
        var book = new RecipeBook();
        book.Image("conf").From("alpine:3.20").CopyText("listen 8080\n", "/etc/app.conf", chmod: "0644").Output("out/conf");
        var copy = book.Build().Stages.Single().Instructions.OfType<CopyInstruction>().Single();
        Assert.Equal([new InlineFile("app.conf", "listen 8080\n")], copy.Inline);
        Assert.Equal(("/etc/app.conf", "0644"), (copy.Destination, copy.Chmod));

        var folder = new RecipeBook();
        folder.Image("bad").From("alpine:3.20").CopyText("x", "/etc/").Output("out/bad");
        Assert.Contains("needs a file name", Assert.Throws<RecipeException>(() => folder.Build()).Message);
    }
}
