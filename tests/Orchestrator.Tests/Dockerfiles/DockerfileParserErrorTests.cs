using Orchestrator.Dockerfiles;
using Orchestrator.Recipes;

namespace Orchestrator.Tests.Dockerfiles;

/// <summary>Every error names the Dockerfile and the line of the offending instruction.</summary>
public class DockerfileParserErrorTests
{
    private const string Path = "/work/app/Dockerfile";

    private static RecipeError Fails(string text, Dictionary<string, string>? buildArgs = null)
    {
        var exception = Assert.Throws<RecipeException>(() => DockerfileParser.Parse(text, Path, buildArgs ?? []));
        Assert.IsAssignableFrom<OrchestratorException>(exception);
        var error = Assert.Single(exception.Errors);
        Assert.Equal(Path, error.Location.File);
        Assert.Contains($"Dockerfile({error.Location.Line},", exception.Message);
        return error;
    }

    [Theory]
    [InlineData("FROM alpine:3.20\nRUN true\nFROOM x\n", 3, "unknown instruction 'FROOM'")]
    [InlineData("ARG A=1\n", 1, "no FROM instruction")]
    [InlineData("", 1, "no FROM instruction")]
    [InlineData("# only a comment\n\n", 1, "no FROM instruction")]
    [InlineData("ARG A=1\nRUN echo\nFROM alpine\n", 2, "RUN comes before the first FROM; only ARG may appear before FROM")]
    [InlineData("FROM alpine\n\nCOPY --frm=build /a /b\n", 3, "COPY does not support the flag '--frm'")]
    [InlineData("FROM alpine\nCOPY --chown=1 --chown=2 a b\n", 2, "flag '--chown' is given twice")]
    [InlineData("FROM alpine\nCOPY --chown a b\n", 2, "'--chown' needs a value")]
    [InlineData("FROM alpine\nCOPY --link=maybe a b\n", 2, "takes true or false")]
    [InlineData("FROM alpine\nENV --x=1 A=1\n", 2, "ENV does not support the flag '--x'; it takes no flags")]
    [InlineData("FROM alpine\nRUN --mount=type=volume,target=/src make\n", 2, "RUN --mount=type=volume is not supported; use type=bind, cache, tmpfs, secret or ssh")]
    [InlineData("FROM alpine\nRUN --mount=type=bind,source=a make\n", 2, "a bind mount needs target=PATH")]
    [InlineData("FROM alpine\nRUN --mount=type=bind,target=/a,mode=0755 make\n", 2, "option 'mode' is not supported; type=bind accepts target, source, from, rw")]
    [InlineData("FROM alpine\nRUN --mount=type=bind,target=/a,from=nosuch::tag make\n", 2, "RUN --mount from 'nosuch::tag' is neither an earlier stage nor a valid image reference")]
    [InlineData("FROM alpine AS a\nRUN --mount=type=bind,target=/a,from=a make\n", 2, "RUN --mount from refers to its own stage 'a'")]
    [InlineData("FROM alpine\nRUN --mount=type=bind,target=/a,from=3 make\n", 2, "RUN --mount from refers to stage 3, but only stages 0 to -1 come before it")]
    [InlineData("FROM alpine\nRUN --mount=type=tmpfs make\n", 2, "a tmpfs mount needs target=PATH")]
    [InlineData("FROM alpine\nRUN --mount=type=tmpfs,target=/t,size=lots make\n", 2, "size 'lots' is not a size; write it like 64m, 1g or 1048576")]
    [InlineData("FROM alpine\nRUN --mount=type=ssh,id=a,uid=1000 make\n", 2, "option 'uid' is not supported; type=ssh accepts id, target, required")]
    [InlineData("FROM alpine\nRUN --mount=type=cache make\n", 2, "a cache mount needs target=PATH")]
    [InlineData("FROM alpine\nRUN --mount=type=cache,target=/c,sharing=weird make\n", 2, "sharing must be shared, private or locked")]
    [InlineData("FROM alpine\nRUN --mount=type=cache,target=/c,mode=0800 make\n", 2, "mode must be octal permission bits (0755, 0700), not '0800'")]
    [InlineData("FROM alpine\nRUN --mount=type=cache,target=/c,uid=app make\n", 2, "uid must be a number, not 'app'")]
    [InlineData("FROM alpine\nRUN --mount=type=cache,target=/c,from=tools make\n", 2, "option 'from' is not supported; type=cache accepts target, id, sharing, uid, gid, mode")]
    [InlineData("FROM alpine\nRUN --mount=type=secret,id=a,mode=0400 make\n", 2, "option 'mode' is not supported")]
    [InlineData("FROM alpine\nRUN --network=host make\n", 2, "RUN --network=host is not supported")]
    [InlineData("FROM alpine\nRUN --security=insecure make\n", 2, "RUN does not support the flag '--security'")]
    [InlineData("FROM alpine\nSHELL /bin/bash -c\n", 2, "SHELL needs a JSON array of strings")]
    [InlineData("FROM alpine\nSHELL []\n", 2, "SHELL needs a JSON array of strings")]
    [InlineData("FROM alpine\nCMD [1, 2]\n", 2, "the JSON array must hold only strings")]
    [InlineData("FROM alpine\nRUN\n", 2, "RUN needs a command")]
    [InlineData("FROM alpine\nCOPY --from=Not_A_Stage!! /a /b\n", 2, "COPY --from 'Not_A_Stage!!' is neither an earlier stage nor a valid image reference")]
    [InlineData("FROM alpine AS a\nFROM alpine\nCOPY --from=1 /a /b\n", 3, "COPY --from refers to stage 1, but only stages 0 to 0 come before it")]
    [InlineData("FROM alpine AS self\nCOPY --from=self /a /b\n", 2, "refers to its own stage 'self'")]
    [InlineData("FROM ${BASE}\n", 1, "the base image '${BASE}' expands to nothing")]
    [InlineData("FROM alpine AS 1abc\n", 1, "invalid stage name '1abc'")]
    [InlineData("FROM alpine AS a\nFROM debian AS A\n", 2, "stage name 'a' is already used by the stage at line 1")]
    [InlineData("FROM alpine as\n", 1, "FROM takes an image and an optional stage name")]
    [InlineData("FROM alpine AS a b\n", 1, "FROM takes an image and an optional stage name")]
    [InlineData("FROM UPPER/Case:1\n", 1, "neither an earlier stage nor a valid image reference")]
    [InlineData("FROM alpine\nCOPY onlyone\n", 2, "COPY needs at least one source and a destination")]
    [InlineData("FROM alpine\nADD\n", 2, "ADD needs at least one source and a destination")]
    [InlineData("FROM alpine\nADD --from=x a b\n", 2, "ADD does not support the flag '--from'")]
    [InlineData("FROM alpine\nHEALTHCHECK --interval=soon CMD true\n", 2, "--interval=soon is not a duration")]
    [InlineData("FROM alpine\nHEALTHCHECK --timeout=10ns CMD true\n", 2, "is too short")]
    [InlineData("FROM alpine\nHEALTHCHECK --retries=-1 CMD true\n", 2, "--retries must be a whole number")]
    [InlineData("FROM alpine\nHEALTHCHECK --interval=5s NONE\n", 2, "HEALTHCHECK NONE takes no flags")]
    [InlineData("FROM alpine\nHEALTHCHECK curl localhost\n", 2, "HEALTHCHECK needs CMD and a command")]
    [InlineData("FROM alpine\nONBUILD FROM debian\n", 2, "ONBUILD cannot trigger FROM")]
    [InlineData("FROM alpine\nONBUILD FETCH x\n", 2, "ONBUILD triggers unknown instruction 'FETCH'")]
    [InlineData("FROM alpine\nRUN <<EOF\necho never closed\n", 2, "here-document '<<EOF' is not closed")]
    [InlineData("FROM alpine\nCOPY a <<EOF\nhello\nEOF\n", 2, "a here-document cannot be the destination")]
    [InlineData("# escape=x\nFROM alpine\n", 1, "invalid escape character 'x'")]
    [InlineData("# escape=`\n# escape=\\\nFROM alpine\n", 2, "parser directive 'escape' is given twice")]
    [InlineData("FROM alpine\nWORKDIR ${A\n", 2, "missing its closing '}'")]
    [InlineData("FROM alpine\nWORKDIR ${A%%x}\n", 2, "unsupported substitution")]
    [InlineData("FROM alpine\nWORKDIR ${A:?must be set}\n", 2, "A: must be set")]
    [InlineData("FROM alpine\nENV A=\"unclosed\n", 2, "double quote")]
    [InlineData("FROM alpine\nENV NAME\n", 2, "ENV NAME needs a value")]
    [InlineData("FROM alpine\nENV A=1 B\n", 2, "'B' is not of the form name=value")]
    [InlineData("FROM alpine\nLABEL =x\n", 2, "has an empty name")]
    [InlineData("FROM alpine\nARG =1\n", 2, "ARG '=1' has a blank name")]
    [InlineData("ARG =1\nFROM alpine\n", 1, "ARG '=1' has a blank name")]
    [InlineData("FROM alpine\nARG ${UNSET}=1\n", 2, "ARG name expands to nothing")]
    [InlineData("FROM alpine\nCOPY [\"a\", 1] /b\n", 2, "must hold only strings")]
    [InlineData("FROM alpine\nVOLUME [\"/a\", null] # note\n", 2, "must hold only strings")]
    [InlineData("FROM alpine\nUSER\n", 2, "USER needs a user name or uid")]
    [InlineData("FROM alpine\nRUN true\n\nRUN a \\\n  b\nBOGUS\n", 6, "unknown instruction 'BOGUS'")]
    public void Error_names_the_line_and_the_problem(string text, int line, string message)
    {
        var error = Fails(text);
        Assert.Equal(line, error.Location.Line);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Lines_after_continuations_and_heredocs_are_counted_correctly()
    {
        var error = Fails("FROM alpine\nRUN <<EOF\na\nb\nEOF\nRUN x \\\n  # comment\n\n  y\nCOPY --bad=1 a b\n");
        Assert.Equal(10, error.Location.Line);
        Assert.Equal("COPY", error.Location.Member);
    }

    [Fact]
    public void The_import_reports_a_missing_target_stage()
    {
        var folder = Directory.CreateTempSubdirectory("orchestrator-dockerfile-");
        try
        {
            File.WriteAllText(System.IO.Path.Combine(folder.FullName, "Dockerfile"), "FROM alpine AS build\nFROM build AS final\n");
            var book = new RecipeBook(folder.FullName);
            var exception = Assert.Throws<RecipeException>(() => book.Dockerfile("Dockerfile", target: "tests"));
            Assert.Contains("target stage 'tests' not found in the Dockerfile; its stages are: build, final", exception.Message);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
