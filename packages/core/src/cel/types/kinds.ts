/**
 * The built-in Kubernetes kinds whose objects celgate types from the Kubernetes OpenAPI schema
 * (Kubernetes 1.34, as shipped by @kubernetes/client-node 1.4.0): kind name, API group and the
 * name of the schema's model. A kind not listed here (a custom resource, a kind of another API
 * group) stays dynamic.
 */
export const KUBERNETES_KINDS = {
  Pod: { group: "", model: "V1Pod" },
  Deployment: { group: "apps", model: "V1Deployment" },
  ReplicaSet: { group: "apps", model: "V1ReplicaSet" },
  StatefulSet: { group: "apps", model: "V1StatefulSet" },
  DaemonSet: { group: "apps", model: "V1DaemonSet" },
  Job: { group: "batch", model: "V1Job" },
  CronJob: { group: "batch", model: "V1CronJob" },
  ReplicationController: { group: "", model: "V1ReplicationController" },
  Service: { group: "", model: "V1Service" },
  Namespace: { group: "", model: "V1Namespace" },
  ConfigMap: { group: "", model: "V1ConfigMap" },
  Secret: { group: "", model: "V1Secret" },
  ServiceAccount: { group: "", model: "V1ServiceAccount" },
  PersistentVolumeClaim: { group: "", model: "V1PersistentVolumeClaim" },
  ResourceQuota: { group: "", model: "V1ResourceQuota" },
  LimitRange: { group: "", model: "V1LimitRange" },
  Role: { group: "rbac.authorization.k8s.io", model: "V1Role" },
  ClusterRole: { group: "rbac.authorization.k8s.io", model: "V1ClusterRole" },
  RoleBinding: { group: "rbac.authorization.k8s.io", model: "V1RoleBinding" },
  ClusterRoleBinding: { group: "rbac.authorization.k8s.io", model: "V1ClusterRoleBinding" },
  NetworkPolicy: { group: "networking.k8s.io", model: "V1NetworkPolicy" },
  Ingress: { group: "networking.k8s.io", model: "V1Ingress" },
  PodDisruptionBudget: { group: "policy", model: "V1PodDisruptionBudget" },
} as const satisfies Record<string, { group: string; model: string }>;

export type KubernetesKind = keyof typeof KUBERNETES_KINDS;

/** The Kubernetes release whose schemas type `object` (the models' `OpenAPI spec version`). */
export const KUBERNETES_SCHEMA_RELEASE = "1.34";
