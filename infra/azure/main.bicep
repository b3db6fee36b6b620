// The Function App and what it needs in Azure: an Elastic Premium plan (Kafka and RabbitMQ triggers need one, with
// runtime scale monitoring so the platform scales on their lag), a storage account for the host and for the app's
// Table Storage (reached with the app's managed identity, role Storage Table Data Contributor), Application Insights.
// Brokers and SQL are the platform's own: their addresses come in as parameters.
//
//   az deployment group create -g <resource-group> -f infra/azure/main.bicep \
//     -p name=<name> rabbitMQConnection=<amqps uri> kafkaBrokers=<host:9093> kafkaPassword=<secret> sqlConnectionString=<connection string>
//   cd functions/FunctionApp && func azure functionapp publish <name>-func
//
// tests/FunctionApp.Tests compiles this file with the Bicep CLI and checks its app settings against the bindings.

@description('Prefix of every resource name: letters and digits, 3 to 16 characters.')
@minLength(3)
@maxLength(16)
param name string

param location string = resourceGroup().location

@description('Elastic Premium size: EP1, EP2 or EP3.')
@allowed([
  'EP1'
  'EP2'
  'EP3'
])
param planSku string = 'EP1'

@description('Instances the plan may scale out to.')
param maximumElasticWorkerCount int = 10

@description('AMQP URI of the Collector RabbitMQ (app setting RabbitMQConnection).')
@secure()
param rabbitMQConnection string

@description('Bootstrap servers of the MES Kafka cluster (app setting KafkaBrokers).')
param kafkaBrokers string

@description('SASL user name of the Kafka triggers and outputs (app setting KafkaUsername): $ConnectionString for Event Hubs, the API key for Confluent Cloud.')
param kafkaUsername string = '$ConnectionString'

@description('SASL password (app setting KafkaPassword): the Event Hubs namespace connection string, or the Confluent Cloud API secret.')
@secure()
param kafkaPassword string

@description('CA bundle that verifies the Kafka brokers (app setting KafkaSslCaLocation); the Linux image\'s system bundle by default.')
param kafkaSslCaLocation string = '/etc/ssl/certs/ca-certificates.crt'

@description('Connection string of the SQL database the [SqlOutput] bindings write to (schema: infra/sql/schema.sql).')
@secure()
param sqlConnectionString string

@description('Payment terms of generated invoices, in days.')
param paymentTermsDays int = 30

@description('Who the alerts email (empty: alerts fire in the portal only).')
param alertEmail string = ''

@description('Kafka consumer lag (records, one partition) above which the lag alert fires.')
param consumerLagThreshold int = 1000

@description('Average age of events at handling (seconds) above which the event-age alert fires.')
param eventAgeThresholdSeconds int = 300

@description('Share of failed event handlings (percent) above which the failure-rate alert fires.')
param failureRateThresholdPercent int = 5

var storageName = take('${toLower(name)}st${uniqueString(resourceGroup().id)}', 24)
var tableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${name}-logs'
  location: location
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${name}-insights'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    supportsHttpsTrafficOnly: true
  }
}

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${name}-plan'
  location: location
  kind: 'elastic'
  sku: {
    name: planSku
    tier: 'ElasticPremium'
  }
  properties: {
    reserved: true // Linux
    maximumElasticWorkerCount: maximumElasticWorkerCount
  }
}

// The host's own storage (leases, timers, the content share of a Premium plan) uses the account key; the app's
// Table Storage uses the managed identity below.
var hostStorage = 'DefaultEndpointsProtocol=https;AccountName=${storage.name};AccountKey=${storage.listKeys().keys[0].value};EndpointSuffix=${environment().suffixes.storage}'

resource functionApp 'Microsoft.Web/sites@2023-12-01' = {
  name: '${name}-func'
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      linuxFxVersion: 'DOTNET-ISOLATED|10.0'
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      functionsRuntimeScaleMonitoringEnabled: true
      appSettings: [
        {
          name: 'FUNCTIONS_EXTENSION_VERSION'
          value: '~4'
        }
        {
          name: 'FUNCTIONS_WORKER_RUNTIME'
          value: 'dotnet-isolated'
        }
        {
          name: 'AzureWebJobsStorage'
          value: hostStorage
        }
        {
          name: 'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING'
          value: hostStorage
        }
        {
          name: 'WEBSITE_CONTENTSHARE'
          value: toLower('${name}-func')
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: insights.properties.ConnectionString
        }
        {
          // Entra ID instead of a key: Program.cs passes DefaultAzureCredential (the managed identity here).
          name: 'TableStorage__tableServiceUri'
          value: storage.properties.primaryEndpoints.table
        }
        {
          name: 'RabbitMQConnection'
          value: rabbitMQConnection
        }
        {
          name: 'KafkaBrokers'
          value: kafkaBrokers
        }
        {
          name: 'KafkaUsername'
          value: kafkaUsername
        }
        {
          name: 'KafkaPassword'
          value: kafkaPassword
        }
        {
          name: 'KafkaSslCaLocation'
          value: kafkaSslCaLocation
        }
        {
          name: 'SqlConnectionString'
          value: sqlConnectionString
        }
        {
          name: 'Invoicing__PaymentTermsDays'
          value: string(paymentTermsDays)
        }
      ]
    }
  }
}

resource tableAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionApp.id, tableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', tableDataContributor)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// Alerts and the operations workbook, over what both hosts export through OpenTelemetry (README "Observability"):
// custom metrics eventprocessors.* (dimensions consumer, event_type, reason, consumer_group, topic, partition) and the
// consumer spans ("process <action>") as requests.
resource alertGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${name}-alerts'
  location: 'global'
  properties: {
    groupShortName: take('${name}ops', 12)
    enabled: true
    emailReceivers: empty(alertEmail) ? [] : [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var alerts = [
  {
    key: 'dead-letters'
    severity: 1
    description: 'Events were dead-lettered: an operator must look at the dead-letter queue (dead-letters list) and replay after the fix.'
    query: 'customMetrics | where name == "eventprocessors.events.dead_letters" | extend consumer = tostring(customDimensions.consumer), reason = tostring(customDimensions.reason) | summarize DeadLetters = sum(valueSum) by consumer, reason'
    measure: 'DeadLetters'
    threshold: 0
    dimensions: [ 'consumer', 'reason' ]
  }
  {
    key: 'failure-rate'
    severity: 2
    description: 'More than ${failureRateThresholdPercent} % of event handlings failed (retried or dead-lettered).'
    query: 'requests | where cloud_RoleName startswith "[event-processors]" and name startswith "process " | summarize Failed = countif(success == false), Total = count() by name | where Total > 0 | extend FailureRate = 100.0 * Failed / Total'
    measure: 'FailureRate'
    threshold: failureRateThresholdPercent
    dimensions: [ 'name' ]
  }
  {
    key: 'consumer-lag'
    severity: 2
    description: 'A Kafka consumer group is more than ${consumerLagThreshold} records behind on a partition.'
    query: 'customMetrics | where name == "eventprocessors.consumer.lag" | extend consumer_group = tostring(customDimensions.consumer_group), topic = tostring(customDimensions.topic), partition = tostring(customDimensions.partition) | summarize Lag = max(valueMax) by consumer_group, topic, partition'
    measure: 'Lag'
    threshold: consumerLagThreshold
    dimensions: [ 'consumer_group', 'topic', 'partition' ]
  }
  {
    key: 'event-age'
    severity: 3
    description: 'Events are handled more than ${eventAgeThresholdSeconds} s after they were created.'
    query: 'customMetrics | where name == "eventprocessors.event.age" | extend consumer = tostring(customDimensions.consumer) | summarize AgeSeconds = sum(valueSum) / sum(valueCount) by consumer'
    measure: 'AgeSeconds'
    threshold: eventAgeThresholdSeconds
    dimensions: [ 'consumer' ]
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [for alert in alerts: {
  name: '${name}-${alert.key}'
  location: location
  properties: {
    displayName: '${name}: ${alert.key}'
    description: alert.description
    severity: alert.severity
    enabled: true
    scopes: [
      insights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: alert.query
          timeAggregation: 'Maximum'
          metricMeasureColumn: alert.measure
          dimensions: [for dimension in alert.dimensions: {
            name: dimension
            operator: 'Include'
            values: [
              '*'
            ]
          }]
          operator: 'GreaterThan'
          threshold: alert.threshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [
        alertGroup.id
      ]
    }
  }
}]

// The wall screen: the flow map (which event each publish carried to which consumer), per-action rates, dead letters
// by reason, event age and backlog.
var workbookQueries = [
  {
    title: 'Flow map: events from producer to consumer (last 24 h)'
    query: 'dependencies | where name startswith "publish " | project ParentId = id, Event = tostring(customDimensions["cloudevents.event_type"]), Producer = operation_Name | join kind=inner (requests | where name startswith "process " | project ParentId = operation_ParentId, Consumer = substring(name, 8)) on ParentId | summarize Messages = count() by Event, Consumer | order by Event asc'
    visualization: 'table'
  }
  {
    title: 'Events handled per action'
    query: 'customMetrics | where name == "eventprocessors.events.handled" | summarize Handled = sum(valueSum) by bin(timestamp, 5m), consumer = tostring(customDimensions.consumer) | render timechart'
    visualization: 'timechart'
  }
  {
    title: 'Duplicates, retries and lease waits per action'
    query: 'customMetrics | where name in ("eventprocessors.events.duplicates", "eventprocessors.events.retries", "eventprocessors.events.lease_waits") | summarize Count = sum(valueSum) by name, consumer = tostring(customDimensions.consumer) | order by Count desc'
    visualization: 'table'
  }
  {
    title: 'Dead letters by reason'
    query: 'customMetrics | where name == "eventprocessors.events.dead_letters" | summarize DeadLetters = sum(valueSum) by reason = tostring(customDimensions.reason), consumer = tostring(customDimensions.consumer) | order by DeadLetters desc'
    visualization: 'table'
  }
  {
    title: 'Event age at handling and handler time'
    query: 'customMetrics | where name in ("eventprocessors.event.age", "eventprocessors.handler.duration") | summarize Average = sum(valueSum) / sum(valueCount) by bin(timestamp, 5m), name | render timechart'
    visualization: 'timechart'
  }
  {
    title: 'Backlog: ready messages per queue and Kafka lag per partition'
    query: 'customMetrics | where name in ("eventprocessors.queue.ready", "eventprocessors.consumer.lag", "eventprocessors.worker.in_flight") | extend series = strcat(name, " ", tostring(customDimensions.queue), tostring(customDimensions.consumer_group), " ", tostring(customDimensions.partition)) | summarize Value = max(valueMax) by bin(timestamp, 5m), series | render timechart'
    visualization: 'timechart'
  }
]

var workbookItems = [for (item, index) in workbookQueries: {
  type: 3
  name: 'query-${index}'
  content: {
    version: 'KqlItem/1.0'
    title: item.title
    query: item.query
    size: 0
    timeContext: {
      durationMs: 86400000
    }
    queryType: 0
    resourceType: 'microsoft.insights/components'
    visualization: item.visualization
  }
}]

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, name, 'event-processors-workbook')
  location: location
  kind: 'shared'
  properties: {
    displayName: '${name} event processors'
    category: 'workbook'
    sourceId: insights.id
    serializedData: string({
      version: 'Notebook/1.0'
      items: workbookItems
      isLocked: false
    })
  }
}

output functionAppName string = functionApp.name
output tableEndpoint string = storage.properties.primaryEndpoints.table
