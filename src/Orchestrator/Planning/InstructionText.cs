using Orchestrator.Recipes;

namespace Orchestrator.Planning;

/// <summary>One-line description of a step for plans and progress.</summary>
internal static class InstructionText
{
    public static string OneLine(Instruction instruction) => instruction switch
    {
        RunInstruction run => "RUN " + run.Command,
        CopyInstruction copy => "COPY " + (copy.From is null ? "" : $"--from={copy.FromAsWritten ?? copy.From.ToString()} ") + string.Join(" ", copy.Sources.Concat(copy.Inline.Select(f => "<<" + f.Name)).Append(copy.Destination)),
        AddInstruction add => "ADD " + string.Join(" ", add.Sources.Concat(add.Inline.Select(f => "<<" + f.Name)).Append(add.Destination)),
        EnvInstruction env => "ENV " + string.Join(" ", env.Variables.Select(v => v.Key + "=" + v.Value)),
        ArgInstruction arg => "ARG " + arg.Name,
        WorkdirInstruction w => "WORKDIR " + w.Path,
        UserInstruction u => "USER " + u.User,
        LabelInstruction l => "LABEL " + string.Join(" ", l.Labels.Select(v => v.Key + "=" + v.Value)),
        ExposeInstruction e => "EXPOSE " + string.Join(" ", e.Ports),
        VolumeInstruction v => "VOLUME " + string.Join(" ", v.Paths),
        EntrypointInstruction e => "ENTRYPOINT " + e.Command,
        CmdInstruction c => "CMD " + c.Command,
        HealthcheckInstruction h => "HEALTHCHECK " + (h.Test?.ToString() ?? "NONE"),
        StopSignalInstruction s => "STOPSIGNAL " + s.Signal,
        ShellInstruction s => "SHELL " + string.Join(" ", s.Shell),
        OnbuildInstruction o => "ONBUILD " + o.Trigger,
        MaintainerInstruction m => "MAINTAINER " + m.Maintainer,
        _ => instruction.Keyword,
    };
}
