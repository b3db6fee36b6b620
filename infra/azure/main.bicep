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

output functionAppName string = functionApp.name
output tableEndpoint string = storage.properties.primaryEndpoints.table
