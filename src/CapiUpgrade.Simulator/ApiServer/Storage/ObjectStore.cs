using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CapiUpgrade.Simulator.ApiServer.Resources;
using CapiUpgrade.Simulator.ApiServer.Selectors;

namespace CapiUpgrade.Simulator.ApiServer.Storage;

/// <summary>
/// The objects of one API server, with the real server's metadata semantics: uid, creationTimestamp, one
/// monotonically increasing resourceVersion per server, generation, optimistic concurrency, finalizers and
/// deletionTimestamp, ownerReference garbage collection, namespace termination, and a bounded event history
/// that feeds watches. All writes take one lock per store, so events reach watchers in resourceVersion order.
/// </summary>
public sealed partial class ObjectStore
{
    private readonly Lock _sync = new();
    private readonly Dictionary<ResourceType, SortedDictionary<string, StoredObject>> _objects = new();
    private readonly Dictionary<string, HashSet<StoredObject>> _dependentsByOwnerUid = new(StringComparer.Ordinal);
    private readonly Queue<HistoryEntry> _history = new();
    private readonly List<WatchSubscription> _watchers = new();
    private long _resourceVersion;
    private long _historyFloor;
    private int _objectCount;

    private sealed record HistoryEntry(long ResourceVersion, string EventType, StoredObject Object, StoredObject? Previous)
    {
        private byte[]? _line;
        public byte[] Line => _line ??= EventLine(EventType, Object.Json);
    }

    public ObjectStore(ResourceRegistry registry, int historySize = 1000)
    {
        Registry = registry;
        HistorySize = historySize;
    }

    public ResourceRegistry Registry { get; }

    /// <summary>Events kept for watches resuming from an older resourceVersion; older ones get 410 Gone.</summary>
    public int HistorySize { get; }

    /// <summary>Optional schema validation (CRDs) called on create and update with the candidate object.</summary>
    public IObjectValidator? Validator { get; set; }

    /// <summary>
    /// Called at the instant each change is committed, under the store's lock, with the resource type, the event
    /// type (ADDED, MODIFIED, DELETED) and a copy of the object as stored (parsed for the callback). For
    /// in-process observers that time changes exactly as the server applied them (the engine benchmark), where a
    /// watch would add its reader's delay.
    /// </summary>
    public Action<ResourceType, string, JsonObject>? OnCommit { get; set; }

    /// <summary>Max queued events per watcher before the watch is cut (as the real server drops slow watchers).</summary>
    public int MaxPendingWatchEvents { get; set; } = 100_000;

    /// <summary>The current resourceVersion (of the last write).</summary>
    public long ResourceVersion { get { lock (_sync) return _resourceVersion; } }

    public int ObjectCount { get { lock (_sync) return _objectCount; } }

    public int WatcherCount { get { lock (_sync) return _watchers.Count; } }

    /// <summary>Events written to open watches and not yet sent to their clients (all watchers together).</summary>
    public long PendingWatchEvents { get { lock (_sync) return _watchers.Sum(w => (long)w.Channel.Reader.Count); } }

    /// <summary>The open watches with events not yet sent: resource, namespace (null = all) and backlog, largest first.</summary>
    public IReadOnlyList<(string Resource, string? Namespace, int Pending)> WatchBacklog()
    {
        lock (_sync)
            return _watchers.Where(w => w.Channel.Reader.Count > 0).Select(w => (w.Type.QualifiedName, w.Namespace, w.Channel.Reader.Count))
                .OrderByDescending(b => b.Item3).ToList();
    }

    private static long ReadLong(JsonNode? node) =>
        node is not null && node.GetValueKind() == JsonValueKind.Number ? long.Parse(node.ToJsonString(), CultureInfo.InvariantCulture) : 0;

    internal static string KeyOf(string? ns, string name) => ns is null ? name : ns + "/" + name;

    private static string Now() => DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private SortedDictionary<string, StoredObject> Table(ResourceType type)
    {
        if (!_objects.TryGetValue(type, out var table))
            _objects[type] = table = new SortedDictionary<string, StoredObject>(StringComparer.Ordinal);
        return table;
    }

    private ResourceType NamespaceType => Registry.Find("", "v1", "namespaces")!;

    // ---------------------------------------------------------------- reads

    /// <summary>The object's JSON, or 404.</summary>
    public byte[] GetJson(ResourceType type, string? ns, string name)
    {
        lock (_sync) return Find(type, ns, name)?.Json ?? throw ApiException.NotFound(type, name);
    }

    /// <summary>A copy of the object, or null.</summary>
    public JsonObject? TryGet(ResourceType type, string? ns, string name)
    {
        lock (_sync) return Find(type, ns, name)?.ParseNode();
    }

    /// <summary>Copies of the objects of a kind (all namespaces when <paramref name="ns"/> is null).</summary>
    public IReadOnlyList<JsonObject> ListObjects(ResourceType type, string? ns = null, string? labelSelector = null)
    {
        var selector = LabelSelector.Parse(labelSelector);
        lock (_sync)
        {
            return Table(type).Values
                .Where(o => (ns is null || o.Namespace == ns) && selector.Matches(o.Labels))
                .Select(o => o.ParseNode())
                .ToList();
        }
    }

    private StoredObject? Find(ResourceType type, string? ns, string name) =>
        Table(type).TryGetValue(KeyOf(type.Namespaced ? ns : null, name), out var o) ? o : null;

    public ListResult List(ResourceType type, string? ns, LabelSelector labels, FieldSelector fields, int limit = 0, string? continueToken = null)
    {
        string? after = null;
        if (!string.IsNullOrEmpty(continueToken))
        {
            try
            {
                after = Encoding.UTF8.GetString(Convert.FromBase64String(continueToken));
            }
            catch (FormatException)
            {
                throw ApiException.BadRequest($"continue key is not valid: \"{continueToken}\"");
            }
        }
        lock (_sync)
        {
            var items = new List<byte[]>();
            string? lastKey = null;
            long remaining = 0;
            foreach (var (key, o) in Table(type))
            {
                if (after is not null && string.CompareOrdinal(key, after) <= 0) continue;
                if (ns is not null && o.Namespace != ns) continue;
                if (!o.Matches(labels, fields)) continue;
                if (limit > 0 && items.Count >= limit)
                {
                    remaining++;
                    continue;
                }
                items.Add(o.Json);
                lastKey = key;
            }
            string? next = remaining > 0 && lastKey is not null ? Convert.ToBase64String(Encoding.UTF8.GetBytes(lastKey)) : null;
            return new ListResult(items, _resourceVersion, next, remaining > 0 ? remaining : null);
        }
    }

    // ---------------------------------------------------------------- create

    /// <summary>
    /// Creates an object (POST). Status is dropped for kinds with a status subresource, as the real server
    /// does, unless <paramref name="keepStatus"/> (for test setup through C#).
    /// </summary>
    public JsonObject Create(ResourceType type, string? ns, JsonObject body, bool keepStatus = false, bool strictFields = false)
    {
        var obj = body.DeepClone().AsObject();
        CheckTypeMeta(type, obj);
        var metadata = obj["metadata"] as JsonObject ?? new JsonObject();
        obj["metadata"] = metadata;
        if (type.Namespaced)
        {
            var bodyNs = metadata["namespace"]?.GetValue<string>();
            ns ??= bodyNs;
            if (string.IsNullOrEmpty(ns)) throw ApiException.BadRequest("the namespace of the object is required; set metadata.namespace or use a namespaced URL");
            if (!string.IsNullOrEmpty(bodyNs) && bodyNs != ns)
                throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            metadata["namespace"] = ns;
        }
        else
        {
            ns = null;
            metadata.Remove("namespace");
        }

        lock (_sync)
        {
            var name = metadata["name"]?.GetValue<string>();
            if (string.IsNullOrEmpty(name))
            {
                var prefix = metadata["generateName"]?.GetValue<string>();
                if (string.IsNullOrEmpty(prefix))
                    throw ApiException.Invalid(type, "", [new FieldCause("FieldValueRequired", "metadata.name", "Required value: name or generateName is required")]);
                do name = prefix + RandomSuffix(); while (Find(type, ns, name) is not null);
                metadata["name"] = name;
            }
            ValidateName(type, name);
            if (ns is not null)
            {
                var nsObj = Find(NamespaceType, null, ns) ?? throw ApiException.NamespaceNotFound(ns);
                if (nsObj.IsDeleting)
                    throw new ApiException(403, "Forbidden", $"{type.QualifiedName} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated", name, type.Group, type.Plural);
            }

            metadata["uid"] = Guid.NewGuid().ToString();
            metadata["creationTimestamp"] = Now();
            metadata.Remove("deletionTimestamp");
            metadata.Remove("deletionGracePeriodSeconds");
            metadata.Remove("selfLink");
            if (type.TracksGeneration) metadata["generation"] = 1L;
            else metadata.Remove("generation");
            if (type.HasStatus && !keepStatus) obj.Remove("status");
            if (type.Plural == "namespaces" && type.Group.Length == 0)
            {
                obj["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") };
                obj["status"] = new JsonObject { ["phase"] = "Active" };
                (metadata["labels"] ??= new JsonObject())["kubernetes.io/metadata.name"] = name;
            }
            obj = Validate(type, name, obj, strictFields);
            if (Find(type, ns, name) is not null) throw ApiException.AlreadyExists(type, name);
            Commit(type, null, obj, WatchEventKind.Added);
            return obj; // the store keeps its serialisation, not this tree: the caller's own

        }
    }

    private static void CheckTypeMeta(ResourceType type, JsonObject obj)
    {
        var kind = obj["kind"]?.GetValue<string>();
        var apiVersion = obj["apiVersion"]?.GetValue<string>();
        if (kind is not null && kind != type.Kind)
            throw ApiException.BadRequest($"the kind of the object ({kind}) does not match the resource {type.QualifiedName} (kind {type.Kind})");
        if (apiVersion is not null && apiVersion != type.ApiVersion)
            throw ApiException.BadRequest($"the apiVersion of the object ({apiVersion}) does not match the API version of the request ({type.ApiVersion})");
        // The real server writes kind/apiVersion into every stored object; put them first like it does.
        var rest = obj.ToList();
        obj.Clear();
        obj["apiVersion"] = type.ApiVersion;
        obj["kind"] = type.Kind;
        foreach (var (k, v) in rest)
        {
            if (k is "apiVersion" or "kind") continue;
            obj[k] = v;
        }
    }

    private static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        Span<char> chars = stackalloc char[5];
        for (var i = 0; i < chars.Length; i++) chars[i] = alphabet[Random.Shared.Next(alphabet.Length)];
        return new string(chars);
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex SubdomainRegex();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex LabelRegex();

    private static void ValidateName(ResourceType type, string name)
    {
        var isNamespace = type.Group.Length == 0 && type.Plural == "namespaces";
        if (isNamespace)
        {
            if (name.Length > 63 || !LabelRegex().IsMatch(name))
                throw ApiException.Invalid(type, name, [new FieldCause("FieldValueInvalid", "metadata.name",
                    $"Invalid value: \"{name}\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")]);
            return;
        }
        if (type.Group == "rbac.authorization.k8s.io")
        {
            // RBAC objects only need a valid path segment name (e.g. "kubeadm:kubelet-config").
            if (name is "." or ".." || name.Contains('/') || name.Contains('%'))
                throw ApiException.Invalid(type, name, [new FieldCause("FieldValueInvalid", "metadata.name",
                    $"Invalid value: \"{name}\": may not be '.' or '..' and may not contain '/' or '%'")]);
            return;
        }
        if (name.Length > 253 || !SubdomainRegex().IsMatch(name))
            throw ApiException.Invalid(type, name, [new FieldCause("FieldValueInvalid", "metadata.name",
                $"Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")]);
    }

    private JsonObject Validate(ResourceType type, string name, JsonObject obj, bool strictFields)
    {
        ValidateMetadataShapes(type, name, obj);
        obj = Schema.BuiltInFields.Check(type, obj, strictFields);
        return Validator is null ? obj : Validator.Validate(type, name, obj, strictFields);
    }

    private static void ValidateMetadataShapes(ResourceType type, string name, JsonObject obj)
    {
        var metadata = obj["metadata"]!.AsObject();
        foreach (var field in new[] { "labels", "annotations" })
        {
            if (metadata[field] is null) continue;
            if (metadata[field] is not JsonObject map)
                throw ApiException.Invalid(type, name, [new FieldCause("FieldValueInvalid", "metadata." + field, "Invalid value: must be a map of string keys to string values")]);
            foreach (var (k, v) in map)
            {
                if (v is null || v.GetValueKind() != JsonValueKind.String)
                    throw ApiException.Invalid(type, name, [new FieldCause("FieldValueInvalid", $"metadata.{field}.{k}", $"Invalid value: {v?.ToJsonString() ?? "null"}: must be a string")]);
            }
        }
        if (metadata["finalizers"] is { } f && f is not JsonArray)
            throw ApiException.Invalid(type, name, [new FieldCause("FieldValueInvalid", "metadata.finalizers", "Invalid value: must be a list of strings")]);
        if (metadata["ownerReferences"] is JsonArray refs)
        {
            for (var i = 0; i < refs.Count; i++)
            {
                if (refs[i] is not JsonObject r || r["uid"] is null || r["name"] is null || r["kind"] is null || r["apiVersion"] is null)
                    throw ApiException.Invalid(type, name, [new FieldCause("FieldValueRequired", $"metadata.ownerReferences[{i}]", "Required value: apiVersion, kind, name and uid must be set")]);
            }
        }
    }

    // ---------------------------------------------------------------- update / patch

    /// <summary>
    /// Replaces an object (PUT). A resourceVersion in the body must match the stored one (409 Conflict
    /// otherwise); without one the update is unconditional. <paramref name="statusOnly"/> is the /status
    /// subresource: only status changes; otherwise status is kept for kinds with a status subresource.
    /// </summary>
    public JsonObject Update(ResourceType type, string? ns, string name, JsonObject body, bool statusOnly = false, bool strictFields = false)
    {
        lock (_sync)
        {
            var old = Find(type, ns, name) ?? throw ApiException.NotFound(type, name);
            return UpdateLocked(type, old, body.DeepClone().AsObject(), statusOnly, strictFields).ParseNode();
        }
    }

    /// <summary>
    /// Applies <paramref name="patch"/> to the current object under the lock, then updates as PUT would. A patch
    /// that builds its result from a copy (<paramref name="patchCopiesInput"/>: the HTTP API's merge, JSON and
    /// strategic patches) leaves the object it was given as stored, and the update compares against that same tree
    /// instead of parsing the stored version a second time; a patch that edits its input in place (the default)
    /// gets a tree of its own.
    /// </summary>
    public JsonObject Patch(ResourceType type, string? ns, string name, Func<JsonObject, JsonObject> patch, bool statusOnly = false, bool strictFields = false,
        bool patchCopiesInput = false)
    {
        lock (_sync)
        {
            var old = Find(type, ns, name) ?? throw ApiException.NotFound(type, name);
            var current = old.ParseNode();
            var candidate = patch(current);
            return UpdateLocked(type, old, candidate, statusOnly, strictFields, patchCopiesInput ? current : null).ParseNode();
        }
    }

    /// <param name="oldNode">The stored version as a tree, when the caller has one nobody changed; else parsed here.</param>
    private StoredObject UpdateLocked(ResourceType type, StoredObject old, JsonObject body, bool statusOnly, bool strictFields, JsonObject? oldNode = null)
    {
        CheckTypeMeta(type, body);
        var metadata = body["metadata"] as JsonObject ?? throw ApiException.BadRequest("metadata is required in an update");
        var bodyName = metadata["name"]?.GetValue<string>();
        if (bodyName is not null && bodyName != old.Name)
            throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({old.Name})");
        var bodyNs = metadata["namespace"]?.GetValue<string>();
        if (type.Namespaced && !string.IsNullOrEmpty(bodyNs) && bodyNs != old.Namespace)
            throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        var rv = metadata["resourceVersion"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(rv) && rv != old.ResourceVersion.ToString(CultureInfo.InvariantCulture))
            throw ApiException.Conflict(type, old.Name);
        var uid = metadata["uid"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(uid) && uid != old.Uid)
            throw ApiException.Conflict(type, old.Name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {old.Uid}");

        oldNode ??= old.ParseNode();
        var oldMeta = oldNode["metadata"]!.AsObject();
        JsonObject next;
        if (statusOnly)
        {
            next = oldNode.DeepClone().AsObject();
            if (body["status"] is { } status) next["status"] = status.DeepClone();
            else next.Remove("status");
        }
        else
        {
            next = body;
            var m = next["metadata"]!.AsObject();
            m["name"] = old.Name;
            if (old.Namespace is not null) m["namespace"] = old.Namespace;
            m["uid"] = old.Uid;
            m["creationTimestamp"] = oldMeta["creationTimestamp"]?.DeepClone();
            if (oldMeta["deletionTimestamp"] is { } dts) m["deletionTimestamp"] = dts.DeepClone();
            else m.Remove("deletionTimestamp");
            if (oldMeta["deletionGracePeriodSeconds"] is { } dgp) m["deletionGracePeriodSeconds"] = dgp.DeepClone();
            else m.Remove("deletionGracePeriodSeconds");
            m.Remove("selfLink");
            if (oldMeta["generation"] is { } gen) m["generation"] = gen.DeepClone();
            else m.Remove("generation");
            if (type.HasStatus)
            {
                if (oldNode["status"] is { } oldStatus) next["status"] = oldStatus.DeepClone();
                else next.Remove("status");
            }
            if (type.Group.Length == 0 && type.Plural == "namespaces") next["spec"] = oldNode["spec"]?.DeepClone();
        }
        next["metadata"]!["resourceVersion"] = old.ResourceVersion.ToString(CultureInfo.InvariantCulture);
        next = Validate(type, old.Name, next, strictFields);

        if (type.TracksGeneration && !statusOnly && !SameOutsideMetadataAndStatus(oldNode, next))
            next["metadata"]!["generation"] = ReadLong(oldMeta["generation"]) + 1;

        if (JsonNode.DeepEquals(oldNode, next)) return old; // a no-op update writes nothing, like the real server

        var stored = Commit(type, old, next, WatchEventKind.Modified);
        if (stored.IsDeleting && stored.Finalizers.Count == 0) RemoveLocked(stored);
        return stored;
    }

    private static bool SameOutsideMetadataAndStatus(JsonObject a, JsonObject b)
    {
        var keys = a.Select(p => p.Key).Union(b.Select(p => p.Key)).Where(k => k is not "metadata" and not "status" and not "apiVersion" and not "kind");
        foreach (var k in keys)
        {
            if (!JsonNode.DeepEquals(a[k], b[k])) return false;
        }
        return true;
    }

    // ---------------------------------------------------------------- delete

    /// <summary>
    /// Deletes an object. With finalizers it only gets a deletionTimestamp (and stays until they are removed);
    /// otherwise it is removed and its dependents are garbage-collected by the propagation policy.
    /// Returns the object (as it is after the call) and whether it is gone.
    /// </summary>
    public (JsonObject Object, bool Removed) Delete(ResourceType type, string? ns, string name, DeleteOptions? options = null)
    {
        options ??= DeleteOptions.Default;
        lock (_sync)
        {
            var old = Find(type, ns, name) ?? throw ApiException.NotFound(type, name);
            if (options.PreconditionUid is { Length: > 0 } puid && puid != old.Uid)
                throw ApiException.Conflict(type, name, $"Precondition failed: UID in precondition: {puid}, UID in object meta: {old.Uid}");
            if (options.PreconditionResourceVersion is { Length: > 0 } prv && prv != old.ResourceVersion.ToString(CultureInfo.InvariantCulture))
                throw ApiException.Conflict(type, name, $"Precondition failed: ResourceVersion in precondition: {prv}, ResourceVersion in object meta: {old.ResourceVersion}");
            var policy = options.PropagationPolicy ?? "Background";
            if (policy is not ("Background" or "Foreground" or "Orphan"))
                throw ApiException.Invalid(type, name, [new FieldCause("FieldValueNotSupported", "propagationPolicy", $"Unsupported value: \"{policy}\": supported values: \"Foreground\", \"Background\", \"Orphan\"")]);
            var result = DeleteLocked(old, policy);
            var current = Find(type, ns, name);
            return current is not null && current.Uid == old.Uid
                ? (current.ParseNode(), false)
                : (result.ParseNode(), true);
        }
    }

    /// <summary>Deletes every object matching the selectors (deletecollection); returns the deleted (or held) objects.</summary>
    public IReadOnlyList<JsonObject> DeleteCollection(ResourceType type, string? ns, LabelSelector labels, FieldSelector fields, DeleteOptions? options = null)
    {
        lock (_sync)
        {
            var targets = Table(type).Values.Where(o => (ns is null || o.Namespace == ns) && o.Matches(labels, fields)).ToList();
            var result = new List<JsonObject>();
            foreach (var o in targets)
            {
                if (Find(type, o.Namespace, o.Name) is not { } current) continue;
                result.Add(DeleteLocked(current, options?.PropagationPolicy ?? "Background").ParseNode());
            }
            return result;
        }
    }

    private StoredObject DeleteLocked(StoredObject old, string policy)
    {
        var type = old.Type;
        if (type.Group.Length == 0 && type.Plural == "namespaces") return DeleteNamespaceLocked(old);
        if (policy == "Orphan") OrphanDependents(old);
        var finalizers = old.Finalizers.ToList();
        if (policy == "Foreground" && Dependents(old.Uid).Count > 0 && !finalizers.Contains("foregroundDeletion"))
            finalizers.Add("foregroundDeletion");
        if (finalizers.Count == 0) return RemoveLocked(old);

        if (old.IsDeleting && finalizers.SequenceEqual(old.Finalizers)) return old;
        var next = old.ParseNode();
        var m = next["metadata"]!.AsObject();
        if (!old.IsDeleting)
        {
            m["deletionTimestamp"] = Now();
            m["deletionGracePeriodSeconds"] = 0;
            if (m["generation"] is { } g) m["generation"] = ReadLong(g) + 1;
        }
        m["finalizers"] = new JsonArray(finalizers.Select(f => (JsonNode)JsonValue.Create(f)).ToArray());
        var stored = Commit(type, old, next, WatchEventKind.Modified);
        if (finalizers.Contains("foregroundDeletion"))
        {
            foreach (var dependent in Dependents(old.Uid).ToList())
            {
                if (Find(dependent.Type, dependent.Namespace, dependent.Name) is { } current && !current.IsDeleting)
                    DeleteLocked(current, "Foreground");
            }
            FinishForegroundDeletion(old.Uid);
        }
        return Find(type, old.Namespace, old.Name) ?? stored;
    }

    private StoredObject DeleteNamespaceLocked(StoredObject ns)
    {
        var current = ns;
        if (!ns.IsDeleting)
        {
            var next = ns.ParseNode();
            next["metadata"]!["deletionTimestamp"] = Now();
            next["metadata"]!["deletionGracePeriodSeconds"] = 0;
            next["status"] = new JsonObject { ["phase"] = "Terminating" };
            current = Commit(ns.Type, ns, next, WatchEventKind.Modified);
        }
        foreach (var (type, table) in _objects.ToList())
        {
            if (!type.Namespaced) continue;
            foreach (var o in table.Values.Where(o => o.Namespace == ns.Name).ToList())
            {
                if (Find(type, o.Namespace, o.Name) is { IsDeleting: false } live) DeleteLocked(live, "Background");
            }
        }
        TryFinishNamespace(ns.Name);
        return Find(ns.Type, null, ns.Name) ?? current;
    }

    private void TryFinishNamespace(string name)
    {
        if (Find(NamespaceType, null, name) is not { IsDeleting: true } ns || ns.Finalizers.Count > 0) return;
        foreach (var (type, table) in _objects)
        {
            if (type.Namespaced && table.Values.Any(o => o.Namespace == name)) return;
        }
        RemoveLocked(ns);
    }

    private void OrphanDependents(StoredObject owner)
    {
        foreach (var dependent in Dependents(owner.Uid).ToList())
        {
            var next = dependent.ParseNode();
            var refs = next["metadata"]!["ownerReferences"]!.AsArray();
            foreach (var r in refs.Where(r => r?["uid"]?.GetValue<string>() == owner.Uid).ToList()) refs.Remove(r);
            if (refs.Count == 0) next["metadata"]!.AsObject().Remove("ownerReferences");
            Commit(dependent.Type, dependent, next, WatchEventKind.Modified);
        }
    }

    private IReadOnlyCollection<StoredObject> Dependents(string ownerUid) =>
        _dependentsByOwnerUid.TryGetValue(ownerUid, out var set) ? set : [];

    private StoredObject RemoveLocked(StoredObject old)
    {
        var type = old.Type;
        var next = old.ParseNode();
        _resourceVersion++;
        next["metadata"]!["resourceVersion"] = _resourceVersion.ToString(CultureInfo.InvariantCulture);
        var final = new StoredObject(type, next);
        Table(type).Remove(old.Key);
        _objectCount--;
        Unindex(old);
        Record(new HistoryEntry(_resourceVersion, WatchEventKind.Deleted, final, old));

        // Garbage collection (background): dependents whose owners are now all gone are deleted; a
        // dependent with a surviving owner just loses the dangling reference.
        foreach (var dependent in Dependents(old.Uid).ToList())
        {
            if (Find(dependent.Type, dependent.Namespace, dependent.Name) is not { } current) continue;
            var surviving = current.OwnerUids.Where(u => u != old.Uid && OwnerExists(u)).ToList();
            if (surviving.Count == 0)
            {
                if (!current.IsDeleting || current.Finalizers.Count == 0) DeleteLocked(current, "Background");
            }
            else
            {
                var trimmed = current.ParseNode();
                var refs = trimmed["metadata"]!["ownerReferences"]!.AsArray();
                foreach (var r in refs.Where(r => r?["uid"]?.GetValue<string>() == old.Uid).ToList()) refs.Remove(r);
                Commit(current.Type, current, trimmed, WatchEventKind.Modified);
            }
        }
        _dependentsByOwnerUid.Remove(old.Uid);

        // An owner in foreground deletion goes once its last dependent is gone.
        foreach (var ownerUid in old.OwnerUids) FinishForegroundDeletion(ownerUid);
        if (old.Namespace is not null) TryFinishNamespace(old.Namespace);
        return final;
    }

    private readonly Dictionary<string, StoredObject> _byUid = new(StringComparer.Ordinal);

    private bool OwnerExists(string uid) => _byUid.ContainsKey(uid);

    private void FinishForegroundDeletion(string ownerUid)
    {
        if (!_byUid.TryGetValue(ownerUid, out var owner) || !owner.IsDeleting || !owner.Finalizers.Contains("foregroundDeletion")) return;
        if (Dependents(ownerUid).Count > 0) return;
        var next = owner.ParseNode();
        var finalizers = owner.Finalizers.Where(f => f != "foregroundDeletion").ToList();
        if (finalizers.Count == 0) next["metadata"]!.AsObject().Remove("finalizers");
        else next["metadata"]!["finalizers"] = new JsonArray(finalizers.Select(f => (JsonNode)JsonValue.Create(f)).ToArray());
        var stored = Commit(owner.Type, owner, next, WatchEventKind.Modified);
        if (finalizers.Count == 0) RemoveLocked(stored);
    }

    // ---------------------------------------------------------------- commit, history, watch

    private StoredObject Commit(ResourceType type, StoredObject? old, JsonObject next, string eventType)
    {
        _resourceVersion++;
        next["metadata"]!["resourceVersion"] = _resourceVersion.ToString(CultureInfo.InvariantCulture);
        var stored = new StoredObject(type, next);
        Table(type)[stored.Key] = stored;
        if (old is null) _objectCount++;
        else Unindex(old);
        Index(stored);
        Record(new HistoryEntry(_resourceVersion, eventType, stored, old));
        return stored;
    }

    private void Index(StoredObject o)
    {
        _byUid[o.Uid] = o;
        foreach (var owner in o.OwnerUids)
        {
            if (!_dependentsByOwnerUid.TryGetValue(owner, out var set)) _dependentsByOwnerUid[owner] = set = new HashSet<StoredObject>();
            set.Add(o);
        }
    }

    private void Unindex(StoredObject o)
    {
        _byUid.Remove(o.Uid);
        foreach (var owner in o.OwnerUids)
        {
            if (_dependentsByOwnerUid.TryGetValue(owner, out var set))
            {
                set.Remove(o);
                if (set.Count == 0) _dependentsByOwnerUid.Remove(owner);
            }
        }
    }

    private void Record(HistoryEntry entry)
    {
        if (HistorySize > 0)
        {
            _history.Enqueue(entry);
            while (_history.Count > HistorySize) _historyFloor = _history.Dequeue().ResourceVersion;
        }
        else
        {
            _historyFloor = entry.ResourceVersion;
        }
        OnCommit?.Invoke(entry.Object.Type, entry.EventType, entry.Object.ParseNode());
        foreach (var w in _watchers.ToList()) Deliver(w, entry);
    }

    private void Deliver(WatchSubscription w, HistoryEntry e)
    {
        if (w.Type != e.Object.Type) return;
        if (w.Namespace is not null && e.Object.Namespace != w.Namespace) return;
        var now = e.Object.Matches(w.Labels, w.Fields);
        var before = e.Previous is not null && e.EventType != WatchEventKind.Added && e.Previous.Matches(w.Labels, w.Fields);
        byte[]? line = e.EventType switch
        {
            WatchEventKind.Added => now ? e.Line : null,
            WatchEventKind.Deleted => now || before ? e.Line : null,
            _ when now && before => e.Line,
            _ when now => EventLine(WatchEventKind.Added, e.Object.Json),
            _ when before => EventLine(WatchEventKind.Deleted, e.Object.Json),
            _ => null,
        };
        if (line is null) return;
        Send(w, line);
    }

    private void Send(WatchSubscription w, byte[] line)
    {
        if (w.Channel.Reader.Count >= MaxPendingWatchEvents)
        {
            _watchers.Remove(w);
            w.Channel.Writer.TryComplete();
            return;
        }
        w.Channel.Writer.TryWrite(line);
    }

    internal static byte[] EventLine(string type, byte[] objectJson)
    {
        var prefix = Encoding.UTF8.GetBytes("{\"type\":\"" + type + "\",\"object\":");
        var line = new byte[prefix.Length + objectJson.Length + 2];
        prefix.CopyTo(line, 0);
        objectJson.CopyTo(line, prefix.Length);
        line[^2] = (byte)'}';
        line[^1] = (byte)'\n';
        return line;
    }

    /// <summary>
    /// Opens a watch. <paramref name="resourceVersion"/> empty or "0": synthetic ADDED events for the current
    /// objects first, then changes. Otherwise every change after that version, or a single ERROR event with
    /// a 410 Expired Status when it is older than the kept history (the client must list again).
    /// </summary>
    public WatchSubscription Watch(ResourceType type, string? ns, LabelSelector labels, FieldSelector fields, string? resourceVersion)
    {
        var w = new WatchSubscription(this, type, ns, labels, fields);
        lock (_sync)
        {
            if (string.IsNullOrEmpty(resourceVersion) || resourceVersion == "0")
            {
                foreach (var o in Table(type).Values)
                {
                    if ((ns is null || o.Namespace == ns) && o.Matches(labels, fields))
                        w.Channel.Writer.TryWrite(EventLine(WatchEventKind.Added, o.Json));
                }
            }
            else
            {
                if (!long.TryParse(resourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var from))
                    throw ApiException.BadRequest($"invalid resource version: \"{resourceVersion}\"");
                if (from < _historyFloor)
                {
                    var gone = ApiException.Gone($"too old resource version: {from} ({_historyFloor + 1})");
                    w.Channel.Writer.TryWrite(EventLine(WatchEventKind.Error, JsonSerializer.SerializeToUtf8Bytes(gone.ToStatus())));
                    w.Channel.Writer.TryComplete();
                    return w;
                }
                foreach (var e in _history)
                {
                    if (e.ResourceVersion > from) Deliver(w, e);
                }
            }
            _watchers.Add(w);
        }
        return w;
    }

    internal void Bookmark(WatchSubscription w)
    {
        lock (_sync)
        {
            if (!_watchers.Contains(w)) return;
            var obj = new JsonObject
            {
                ["kind"] = w.Type.Kind,
                ["apiVersion"] = w.Type.ApiVersion,
                ["metadata"] = new JsonObject { ["resourceVersion"] = _resourceVersion.ToString(CultureInfo.InvariantCulture) },
            };
            Send(w, EventLine(WatchEventKind.Bookmark, JsonSerializer.SerializeToUtf8Bytes(obj)));
        }
    }

    internal void Unsubscribe(WatchSubscription w)
    {
        lock (_sync) _watchers.Remove(w);
        w.Channel.Writer.TryComplete();
    }

    /// <summary>Cuts every open watch (their streams end; clients re-watch from their last resourceVersion).</summary>
    public int CloseAllWatches()
    {
        List<WatchSubscription> all;
        lock (_sync)
        {
            all = _watchers.ToList();
            _watchers.Clear();
        }
        foreach (var w in all) w.Channel.Writer.TryComplete();
        return all.Count;
    }

    /// <summary>Drops the event history, as an etcd compaction does: watches from any older version get 410 Gone.</summary>
    public void CompactHistory()
    {
        lock (_sync)
        {
            _history.Clear();
            _historyFloor = _resourceVersion;
        }
    }
}
