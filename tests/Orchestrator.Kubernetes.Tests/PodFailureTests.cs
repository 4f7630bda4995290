using k8s.Models;

namespace Orchestrator.Kubernetes.Tests;

/// <summary>How pod states the emulator cannot produce (a kernel's OOM kill) are worded.</summary>
public sealed class PodFailureTests
{
    private static V1Pod Pod(V1ContainerState executor, V1ContainerState? init = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "orch-1-web-abcde" },
        Status = new V1PodStatus
        {
            Phase = "Failed",
            InitContainerStatuses = [new V1ContainerStatus { Name = JobManifest.FetchContainer, Image = "x", ImageID = "", State = init ?? new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 0 } } }],
            ContainerStatuses = [new V1ContainerStatus { Name = JobManifest.ExecutorContainer, Image = "registry.example.com/executor:1", ImageID = "", State = executor }],
        },
    };

    [Fact]
    public void An_oom_kill_says_memory_and_shows_the_last_lines()
    {
        var pod = Pod(new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 137, Reason = "OOMKilled" } });
        var message = PodFailure.Describe(pod, ["step 3/4: RUN make -j8"]);
        Assert.StartsWith("the executor ran out of memory (OOMKilled, exit code 137)", message);
        Assert.EndsWith("step 3/4: RUN make -j8", message);
    }

    [Fact]
    public void A_failed_context_fetch_is_told_apart_from_a_failed_build()
    {
        var pod = Pod(new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "PodInitializing" } },
            new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 1, Message = "blob unknown" } });
        Assert.StartsWith("fetching the build context failed in init container 'fetch-context' (exit code 1): blob unknown", PodFailure.Describe(pod, []));
    }

    [Theory]
    [InlineData("ImagePullBackOff", true)]
    [InlineData("CreateContainerConfigError", true)]
    [InlineData("ErrImagePull", false)]
    [InlineData("ContainerCreating", false)]
    public void Only_waiting_reasons_that_do_not_clear_by_themselves_stop_the_node(string reason, bool stuck)
    {
        var pod = Pod(new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = reason, Message = "detail" } });
        Assert.Equal(stuck, PodFailure.Stuck(pod, new KubernetesOptions()) is not null);
    }
}
