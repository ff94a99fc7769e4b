using ArchUnitNET.Domain;
using ArchUnitNET.Fluent.Syntax.Elements.Types;
using ArchUnitNET.Loader;
using ArchUnitNET.xUnit;
using static ArchUnitNET.Fluent.ArchRuleDefinition;

namespace Wasme.Architecture.Tests;

/// <summary>
/// The layering of README.md (Layout), checked on the built assemblies: a type may not use what its layer must not
/// know. Each rule names the reason; a failure lists the offending types and what they use.
/// </summary>
public sealed class LayeringTests
{
    private static readonly ArchUnitNET.Domain.Architecture Product = new ArchLoader().LoadAssemblies(
        [.. ProductAssemblies.Names.Select(System.Reflection.Assembly.Load)]).Build();

    // Referenced types too (includeReferenced): third-party assemblies are not loaded, only what wasme uses of them.
    private static readonly IObjectProvider<IType> KubernetesClient = Types(true).That().ResideInNamespaceMatching(@"^k8s(\..+)?$").As("KubernetesClient");
    private static readonly IObjectProvider<IType> KubernetesLayer = Types(true).That().ResideInNamespaceMatching(@"^Wasme\.Kubernetes(\..+)?$").As("Wasme.Kubernetes");
    private static readonly IObjectProvider<IType> Oci = Types(true).That().ResideInNamespaceMatching(@"^Wasme\.Oci(\..+)?$").As("Wasme.Oci");
    private static readonly IObjectProvider<IType> Build = Types(true).That().ResideInNamespaceMatching(@"^Wasme\.Build(\..+)?$").As("Wasme.Build");
    private static readonly IObjectProvider<IType> ProxyWasmHost = Types(true).That().ResideInNamespaceMatching(@"^Wasme\.ProxyWasm(\..+)?$").As("Wasme.ProxyWasm");
    private static readonly IObjectProvider<IType> Wasmtime = Types(true).That().ResideInNamespaceMatching(@"^Wasmtime(\..+)?$").As("Wasmtime");
    private static readonly IObjectProvider<IType> Operator = Types(true).That().ResideInNamespaceMatching(@"^Wasme\.Operator(\..+)?$").As("Wasme.Operator");
    private static readonly IObjectProvider<IType> AspNetCore = Types(true).That().ResideInNamespaceMatching(@"^Microsoft\.AspNetCore(\..+)?$").As("ASP.NET Core");
    private static readonly IObjectProvider<IType> HttpClients = Types(true).That().ResideInNamespaceMatching(@"^System\.Net\.Http(\..+)?$").As("System.Net.Http");

    // The file system, not streams in general: translation reads its embedded CRD through a resource stream.
    private static readonly IObjectProvider<IType> FileSystem = Types(true).That()
        .HaveFullName("System.IO.File").Or().HaveFullName("System.IO.Directory").Or().HaveFullName("System.IO.FileInfo")
        .Or().HaveFullName("System.IO.DirectoryInfo").Or().HaveFullName("System.IO.FileStream").Or().HaveFullName("System.IO.FileSystemWatcher")
        .As("the file system");

    // What translation may use of KubernetesClient: the object models (k8s.Models) and the interfaces that shape an object
    // (IKubernetesObject, ISpec, IStatus, IItems, [KubernetesEntity]). Anything else in k8s is a client that does I/O.
    private static readonly IObjectProvider<IType> KubernetesClientIo = Types(true).That().ResideInNamespace("k8s")
        .And().DoNotHaveNameMatching(@"^(IKubernetesObject|IMetadata|ISpec|IStatus|IItems|IValidate)(`\d+)?$")
        .And().DoNotHaveName("KubernetesEntityAttribute")
        .Or().ResideInNamespaceMatching(@"^k8s\.(Autorest|KubeConfigModels|Authentication|Exceptions|LeaderElection)(\..+)?$")
        .As("KubernetesClient's client (anything in k8s but the object models)");

    private static GivenTypesConjunctionWithDescription In(string assembly) => Types().That().ResideInAssembly(ProductAssemblies.FullName(assembly)).As(assembly);

    [Fact]
    public void Oci_knows_nothing_of_clusters() =>
        In("Wasme.Oci").Should().NotDependOnAny(KubernetesClient).AndShould().NotDependOnAny(KubernetesLayer)
            .Because("images are pushed and pulled the same way with or without a cluster").Check(Product);

    [Fact]
    public void Build_knows_nothing_of_clusters() =>
        In("Wasme.Build").Should().NotDependOnAny(KubernetesClient).AndShould().NotDependOnAny(KubernetesLayer)
            .Because("building a filter needs no cluster").Check(Product);

    [Fact]
    public void The_ProxyWasm_host_knows_no_images_no_HTTP_server_and_no_cluster() =>
        In("Wasme.ProxyWasm").Should().NotDependOnAny(Oci).AndShould().NotDependOnAny(AspNetCore)
            .AndShould().NotDependOnAny(KubernetesClient).AndShould().NotDependOnAny(KubernetesLayer)
            .Because("the host runs a module given as bytes, for wasme run, wasme test and benchmarks alike").Check(Product);

    [Fact]
    public void Translation_is_pure() =>
        In("Wasme.Istio").Should().NotDependOnAny(KubernetesClientIo).AndShould().NotDependOnAny(KubernetesLayer)
            .AndShould().NotDependOnAny(HttpClients).AndShould().NotDependOnAny(FileSystem)
            .Because("the operator, deploy istio and render share one translation from objects to objects; I/O stays at their edges").Check(Product);

    [Fact]
    public void The_operator_never_runs_filters() =>
        In("Wasme.Operator").Should().NotDependOnAny(ProxyWasmHost).AndShould().NotDependOnAny(Wasmtime)
            .Because("the operator reads images and writes Kubernetes objects; modules run only in proxies").Check(Product);

    [Fact]
    public void The_cache_only_pulls_and_serves() =>
        In("Wasme.Cache").Should().NotDependOnAny(Operator).AndShould().NotDependOnAny(ProxyWasmHost)
            .AndShould().NotDependOnAny(Wasmtime).AndShould().NotDependOnAny(Build)
            .Because("a node cache must not carry the controller, the Wasm engine or the toolchains").Check(Product);

    [Fact]
    public void The_Kubernetes_layer_holds_no_wasme_domain() =>
        In("Wasme.Kubernetes").Should().NotDependOnAny(Types(true).That().ResideInNamespaceMatching(@"^Wasme\.(Oci|Build|ProxyWasm|Proxy|Istio|Operator|Cache|Cli|FilterTesting)(\..+)?$").As("other wasme projects"))
            .Because("operator, cache and CLI share it; it must not pull any of them in").Check(Product);
}
