namespace Orchestrator.Recipes;

/// <summary>
/// One step of a stage, mirroring a Dockerfile instruction. Values are already expanded
/// (build args and ENV substituted where Docker substitutes them); RUN text is left to the shell.
/// </summary>
public abstract record Instruction
{
    public SourceLocation Location { get; init; } = SourceLocation.Unknown;

    /// <summary>The Dockerfile keyword of this instruction (RUN, COPY, ...).</summary>
    public abstract string Keyword { get; }

    /// <summary>True for steps that change the filesystem (and so may produce a layer).</summary>
    public virtual bool ChangesFilesystem => false;

    /// <summary>The other stages and images this step reads files from (<c>COPY --from</c>, RUN bind mounts with <c>from</c>).</summary>
    public virtual IEnumerable<ImageSource> ReadsFrom => [];
}

public sealed record RunInstruction(Command Command, RunOptions Options) : Instruction
{
    public override string Keyword => "RUN";

    public override bool ChangesFilesystem => true;

    public override IEnumerable<ImageSource> ReadsFrom => Options.Binds.Select(b => b.From).OfType<ImageSource>();
}

/// <summary>
/// A file whose content is written in the recipe itself: a COPY/ADD here-document (<c>COPY &lt;&lt;EOF /etc/app.conf</c>)
/// or <c>CopyText</c>. It is one more source, named <see cref="Name"/>, made 0664 unless <c>--chmod</c> says otherwise,
/// as BuildKit makes it. <see cref="Content"/> is already expanded.
/// </summary>
public sealed record InlineFile(string Name, string Content);

/// <summary>COPY from the build context (<see cref="From"/> null), another stage, or an image; <see cref="Inline"/> files come with it.</summary>
public sealed record CopyInstruction(EquatableArray<string> Sources, string Destination) : Instruction
{
    public ImageSource? From { get; init; }

    /// <summary>
    /// The <c>--from</c> stage as its Dockerfile names it, when an import renamed it (<c>build</c> for the stage
    /// <c>image/build</c>): the history says what the Dockerfile says, whatever name the import gives the image.
    /// </summary>
    public string? FromAsWritten { get; init; }

    /// <summary>Here-document sources, after the <see cref="Sources"/> (BuildKit copies them in that order).</summary>
    public EquatableArray<InlineFile> Inline { get; init; } = [];

    public string? Chown { get; init; }

    public string? Chmod { get; init; }

    public bool Link { get; init; }

    public override string Keyword => "COPY";

    public override bool ChangesFilesystem => true;

    public override IEnumerable<ImageSource> ReadsFrom => From is null ? [] : [From];
}

/// <summary>ADD: like COPY from the context, but local tar archives are extracted and URLs fetched.</summary>
public sealed record AddInstruction(EquatableArray<string> Sources, string Destination) : Instruction
{
    /// <summary>Here-document sources: written as they are, never unpacked or fetched.</summary>
    public EquatableArray<InlineFile> Inline { get; init; } = [];
    public string? Chown { get; init; }

    public string? Chmod { get; init; }

    /// <summary>Expected digest of a URL source (<c>sha256:…</c>), as <c>ADD --checksum</c>.</summary>
    public string? Checksum { get; init; }

    public bool Link { get; init; }

    public override string Keyword => "ADD";

    public override bool ChangesFilesystem => true;
}

public sealed record EnvInstruction(EquatableArray<KeyValuePair<string, string>> Variables) : Instruction
{
    public override string Keyword => "ENV";
}

/// <summary>
/// A build argument declared inside a stage (Dockerfile <c>ARG</c> after FROM; DSL <c>BuildArg</c>).
/// <see cref="Value"/> is already resolved: the <c>--build-arg</c> value when given, else the declared
/// default, else null (declared but unset). RUN steps see it as an environment variable.
/// </summary>
public sealed record ArgInstruction(string Name, string? Value) : Instruction
{
    public override string Keyword => "ARG";
}

public sealed record WorkdirInstruction(string Path) : Instruction
{
    public override string Keyword => "WORKDIR";

    /// <summary>WORKDIR creates the folder when missing, which may add a layer.</summary>
    public override bool ChangesFilesystem => true;
}

public sealed record UserInstruction(string User) : Instruction
{
    public override string Keyword => "USER";
}

public sealed record LabelInstruction(EquatableArray<KeyValuePair<string, string>> Labels) : Instruction
{
    public override string Keyword => "LABEL";
}

/// <summary>Ports as written: <c>80</c>, <c>8080/tcp</c>, <c>53/udp</c>.</summary>
public sealed record ExposeInstruction(EquatableArray<string> Ports) : Instruction
{
    public override string Keyword => "EXPOSE";
}

public sealed record VolumeInstruction(EquatableArray<string> Paths) : Instruction
{
    public override string Keyword => "VOLUME";
}

public sealed record EntrypointInstruction(Command Command) : Instruction
{
    public override string Keyword => "ENTRYPOINT";
}

public sealed record CmdInstruction(Command Command) : Instruction
{
    public override string Keyword => "CMD";
}

/// <summary>HEALTHCHECK; a null <see cref="Test"/> is <c>HEALTHCHECK NONE</c>.</summary>
public sealed record HealthcheckInstruction(Command? Test) : Instruction
{
    public TimeSpan? Interval { get; init; }

    public TimeSpan? Timeout { get; init; }

    public TimeSpan? StartPeriod { get; init; }

    public TimeSpan? StartInterval { get; init; }

    public int? Retries { get; init; }

    public override string Keyword => "HEALTHCHECK";
}

public sealed record StopSignalInstruction(string Signal) : Instruction
{
    public override string Keyword => "STOPSIGNAL";
}

public sealed record ShellInstruction(EquatableArray<string> Shell) : Instruction
{
    public override string Keyword => "SHELL";
}

/// <summary>
/// MAINTAINER (deprecated in Dockerfiles): sets the image config's top-level <c>author</c>, as Docker and
/// BuildKit do. The text is kept as written; Docker does not expand variables in it.
/// </summary>
public sealed record MaintainerInstruction(string Maintainer) : Instruction
{
    public override string Keyword => "MAINTAINER";
}

/// <summary>ONBUILD: a trigger stored in the image config for images built FROM this one.</summary>
public sealed record OnbuildInstruction(string Trigger) : Instruction
{
    public override string Keyword => "ONBUILD";
}
