namespace CapiUpgrade.Core.Patches;

/// <summary>
/// A patch could not be applied. The message names the operation (<c>#2 replace</c>), the path, the object and
/// what to change in the patch file.
/// </summary>
public sealed class PatchException : Exception
{
    public PatchException(string source, int? operationIndex, string operation, string path, string target, string problem, string fix)
        : base($"{source}: operation {(operationIndex is { } i ? $"#{i} " : "")}{operation} at path '{path}' on {target}: {problem}. Fix: {fix}")
    {
        PatchSource = source;
        OperationIndex = operationIndex;
        Operation = operation;
        Path = path;
        Target = target;
        Problem = problem;
        Fix = fix;
    }

    /// <summary>Where the patch came from (e.g. the file name given to --infra-patch).</summary>
    public string PatchSource { get; }

    /// <summary>Zero-based index of the failing operation in a JSON patch; null for a merge patch.</summary>
    public int? OperationIndex { get; }

    public string Operation { get; }
    public string Path { get; }

    /// <summary>The object the patch was applied to (<c>DockerMachine default/cp-0-u-1a2b3c4d</c>).</summary>
    public string Target { get; }

    public string Problem { get; }
    public string Fix { get; }
}
