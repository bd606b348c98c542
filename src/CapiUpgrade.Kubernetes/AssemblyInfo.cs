using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("CapiUpgrade.Kubernetes.Tests")]
