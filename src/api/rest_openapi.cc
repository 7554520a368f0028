// The OpenAPI 3 document of the REST API (rest_api.h), served at
// GET /v1/openapi.json. RestApiOpenApi tests check every route and every
// answer of the REST tests against it: change it together with the handlers.

#include "stepd/api/rest_api.h"

namespace stepd::api {

const std::string& RestApi::OpenApiDocument() {
  static const std::string* const kDocument = new std::string(R"json({
 "openapi": "3.0.3",
 "info": {
  "title": "stepd REST API for operators",
  "version": "1",
  "description": "Find, inspect, stop, redrive and restart executions; manage state machines; read the audit log. Errors are RFC 9457 problem details. Times are RFC 3339 UTC strings."
 },
 "security": [
  {
   "bearer": []
  }
 ],
 "paths": {
  "/v1/openapi.json": {
   "get": {
    "operationId": "getOpenApi",
    "summary": "This document",
    "responses": {
     "200": {
      "description": "The OpenAPI document",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     }
    }
   }
  },
  "/v1/state-machines": {
   "get": {
    "operationId": "listStateMachines",
    "summary": "List state machines",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/StateMachineList"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/limit"
     },
     {
      "$ref": "#/components/parameters/cursor"
     }
    ]
   },
   "post": {
    "operationId": "createStateMachine",
    "summary": "Create a state machine",
    "responses": {
     "201": {
      "description": "Created (Location: its URL)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/StateMachine"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/StateMachineCreate"
       }
      }
     }
    }
   }
  },
  "/v1/state-machines/{name}": {
   "get": {
    "operationId": "getStateMachine",
    "summary": "A state machine with its versions and aliases",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/StateMachine"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/name"
     }
    ]
   },
   "put": {
    "operationId": "putStateMachine",
    "summary": "Create or update a state machine",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/StateMachine"
        }
       }
      }
     },
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/StateMachine"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/name"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/StateMachinePut"
       }
      }
     }
    }
   },
   "delete": {
    "operationId": "deleteStateMachine",
    "summary": "Delete a state machine (once its running executions end)",
    "responses": {
     "204": {
      "description": "Done"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/name"
     }
    ]
   }
  },
  "/v1/state-machines/{name}/versions": {
   "get": {
    "operationId": "listVersions",
    "summary": "List published versions, newest first",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/VersionList"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/name"
     },
     {
      "$ref": "#/components/parameters/limit"
     },
     {
      "$ref": "#/components/parameters/cursor"
     }
    ]
   },
   "post": {
    "operationId": "publishVersion",
    "summary": "Publish the current revision as a version",
    "responses": {
     "201": {
      "description": "Published",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Version"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/name"
     }
    ],
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/VersionPublish"
       }
      }
     }
    }
   }
  },
  "/v1/state-machines/{name}/versions/{version}": {
   "get": {
    "operationId": "getVersion",
    "summary": "A version",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Version"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/name"
     },
     {
      "$ref": "#/components/parameters/version"
     }
    ]
   },
   "delete": {
    "operationId": "deleteVersion",
    "summary": "Delete a version no alias routes to",
    "responses": {
     "204": {
      "description": "Done"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/name"
     },
     {
      "$ref": "#/components/parameters/version"
     }
    ]
   }
  },
  "/v1/state-machines/{name}/aliases": {
   "get": {
    "operationId": "listAliases",
    "summary": "List aliases",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/AliasList"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/name"
     },
     {
      "$ref": "#/components/parameters/limit"
     },
     {
      "$ref": "#/components/parameters/cursor"
     }
    ]
   },
   "post": {
    "operationId": "createAlias",
    "summary": "Create an alias",
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Alias"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/name"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/AliasCreate"
       }
      }
     }
    }
   }
  },
  "/v1/state-machines/{name}/aliases/{alias}": {
   "get": {
    "operationId": "getAlias",
    "summary": "An alias",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Alias"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/name"
     },
     {
      "$ref": "#/components/parameters/alias"
     }
    ]
   },
   "put": {
    "operationId": "putAlias",
    "summary": "Create or update an alias",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Alias"
        }
       }
      }
     },
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Alias"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/name"
     },
     {
      "$ref": "#/components/parameters/alias"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/AliasPut"
       }
      }
     }
    }
   },
   "delete": {
    "operationId": "deleteAlias",
    "summary": "Delete an alias",
    "responses": {
     "204": {
      "description": "Done"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/name"
     },
     {
      "$ref": "#/components/parameters/alias"
     }
    ]
   }
  },
  "/v1/state-machines/{name}/executions": {
   "post": {
    "operationId": "startExecution",
    "summary": "Start an execution (a name makes it idempotent)",
    "responses": {
     "201": {
      "description": "Started (Location: its URL)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ExecutionSummary"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/name"
     }
    ],
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/ExecutionStart"
       }
      }
     }
    }
   }
  },
  "/v1/executions": {
   "get": {
    "operationId": "listExecutions",
    "summary": "Find executions, newest first",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ExecutionList"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/f_state_machine"
     },
     {
      "$ref": "#/components/parameters/f_status"
     },
     {
      "$ref": "#/components/parameters/f_started_after"
     },
     {
      "$ref": "#/components/parameters/f_started_before"
     },
     {
      "$ref": "#/components/parameters/f_name_prefix"
     },
     {
      "$ref": "#/components/parameters/f_error"
     },
     {
      "$ref": "#/components/parameters/limit"
     },
     {
      "$ref": "#/components/parameters/cursor"
     }
    ]
   }
  },
  "/v1/executions:counts": {
   "get": {
    "operationId": "countExecutions",
    "summary": "How many executions a filter matches, by status",
    "description": "Counts what GET /v1/executions lists with the same filter (top-level executions, not a Map Run's children), of the state machines the caller may read.",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ExecutionCounts"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/f_state_machine"
     },
     {
      "$ref": "#/components/parameters/f_started_after"
     },
     {
      "$ref": "#/components/parameters/f_started_before"
     },
     {
      "$ref": "#/components/parameters/f_name_prefix"
     },
     {
      "$ref": "#/components/parameters/f_error"
     }
    ]
   }
  },
  "/v1/executions:stop": {
   "post": {
    "operationId": "bulkStop",
    "summary": "Stop every running execution a filter matches",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/BulkResult"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/BulkStop"
       }
      }
     }
    }
   }
  },
  "/v1/executions:redrive": {
   "post": {
    "operationId": "bulkRedrive",
    "summary": "Redrive every failed, timed-out or aborted execution a filter matches",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/BulkResult"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/BulkRedrive"
       }
      }
     }
    }
   }
  },
  "/v1/executions/{id}": {
   "get": {
    "operationId": "getExecution",
    "summary": "An execution: status, payloads, error, current state, links",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Execution"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/id"
     }
    ]
   }
  },
  "/v1/executions/{id}/definition": {
   "get": {
    "operationId": "getExecutionDefinition",
    "summary": "The state machine definition an execution ran (its revision, which an update of the state machine does not change)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ExecutionDefinition"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/id"
     }
    ]
   }
  },
  "/v1/executions/{id}/history": {
   "get": {
    "operationId": "getHistory",
    "summary": "An execution's history events",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/HistoryPage"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/id"
     },
     {
      "$ref": "#/components/parameters/limit"
     },
     {
      "$ref": "#/components/parameters/cursor"
     },
     {
      "$ref": "#/components/parameters/reverse"
     },
     {
      "$ref": "#/components/parameters/include_data"
     }
    ]
   }
  },
  "/v1/executions/{id}/stop": {
   "post": {
    "operationId": "stopExecution",
    "summary": "Stop a running execution (an ended one is left as it is)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ExecutionSummary"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/id"
     }
    ],
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/ExecutionStop"
       }
      }
     }
    }
   }
  },
  "/v1/executions/{id}/redrive": {
   "post": {
    "operationId": "redriveExecution",
    "summary": "Redrive a failed, timed-out or aborted execution from where it stopped",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ExecutionSummary"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/id"
     }
    ],
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/ExecutionRedrive"
       }
      }
     }
    }
   }
  },
  "/v1/executions/{id}/restart": {
   "post": {
    "operationId": "restartExecution",
    "summary": "Start a new execution at a top-level state with the old one's variables there",
    "responses": {
     "201": {
      "description": "Started (Location: its URL)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ExecutionSummary"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/id"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/ExecutionRestart"
       }
      }
     }
    }
   }
  },
  "/v1/activities": {
   "get": {
    "operationId": "listActivities",
    "summary": "List activities",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ActivityList"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/limit"
     },
     {
      "$ref": "#/components/parameters/cursor"
     }
    ]
   }
  },
  "/v1/activities/{name}": {
   "get": {
    "operationId": "getActivity",
    "summary": "An activity",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Activity"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/activity"
     }
    ]
   }
  },
  "/v1/activities/{name}/tasks": {
   "get": {
    "operationId": "listActivityTasks",
    "summary": "An activity's tasks, oldest first",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/TaskList"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/activity"
     },
     {
      "$ref": "#/components/parameters/task_state"
     },
     {
      "$ref": "#/components/parameters/limit"
     },
     {
      "$ref": "#/components/parameters/cursor"
     }
    ]
   }
  },
  "/v1/me": {
   "get": {
    "operationId": "getMe",
    "summary": "The caller: its principal, roles and permissions (everywhere, and on one state machine)",
    "parameters": [
     {
      "name": "state_machine",
      "in": "query",
      "description": "Also answer the permissions on this state machine",
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Me"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/v1/tasks": {
   "get": {
    "operationId": "listTasks",
    "summary": "Pending tasks: activity tasks and callbacks waiting for a token",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/TaskList"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/task_activity"
     },
     {
      "$ref": "#/components/parameters/task_execution"
     },
     {
      "$ref": "#/components/parameters/task_state"
     },
     {
      "$ref": "#/components/parameters/limit"
     },
     {
      "$ref": "#/components/parameters/cursor"
     }
    ]
   }
  },
  "/v1/connections": {
   "get": {
    "operationId": "listConnections",
    "summary": "List connections (never their secrets)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ConnectionList"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/limit"
     },
     {
      "$ref": "#/components/parameters/cursor"
     }
    ]
   }
  },
  "/v1/connections/{name}": {
   "get": {
    "operationId": "getConnection",
    "summary": "A connection (never its secrets)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Connection"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/connection"
     }
    ]
   }
  },
  "/v1/schedules": {
   "get": {
    "operationId": "listSchedules",
    "summary": "List schedules (those whose state machine the principal may read)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ScheduleList"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   },
   "post": {
    "operationId": "createSchedule",
    "summary": "Create a schedule that starts a state machine at the times of a rate, cron or at expression (needs manage)",
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Schedule"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/ScheduleRequest"
       }
      }
     }
    }
   }
  },
  "/v1/schedules/{name}": {
   "get": {
    "operationId": "getSchedule",
    "summary": "A schedule, with its next due times (upcoming)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Schedule"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/schedule"
     }
    ]
   },
   "put": {
    "operationId": "putSchedule",
    "summary": "Replace a schedule (not one from the config file)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Schedule"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/schedule"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/ScheduleRequest"
       }
      }
     }
    }
   },
   "patch": {
    "operationId": "patchSchedule",
    "summary": "Enable or disable a schedule (enabling does not catch up what was missed)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Schedule"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/schedule"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/ScheduleEnabled"
       }
      }
     }
    }
   },
   "delete": {
    "operationId": "deleteSchedule",
    "summary": "Delete a schedule (not one from the config file)",
    "responses": {
     "204": {
      "description": "Done"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/schedule"
     }
    ]
   }
  },
  "/v1/schedules/{name}/fire": {
   "post": {
    "operationId": "fireSchedule",
    "summary": "Start the schedule's state machine now, once, as the caller (its due times are unchanged; needs start)",
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ExecutionSummary"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/schedule"
     }
    ],
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/ScheduleFire"
       }
      }
     }
    }
   }
  },
  "/v1/audit": {
   "get": {
    "operationId": "listAudit",
    "summary": "Audit rows (JSON, or JSON lines export)",
    "responses": {
     "200": {
      "description": "A page of rows, or every row as JSON lines",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/AuditList"
        }
       },
       "application/x-ndjson": {
        "schema": {
         "$ref": "#/components/schemas/AuditRow"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/a_principal"
     },
     {
      "$ref": "#/components/parameters/a_action"
     },
     {
      "$ref": "#/components/parameters/a_resource"
     },
     {
      "$ref": "#/components/parameters/a_since"
     },
     {
      "$ref": "#/components/parameters/a_until"
     },
     {
      "$ref": "#/components/parameters/a_order"
     },
     {
      "$ref": "#/components/parameters/a_format"
     },
     {
      "$ref": "#/components/parameters/limit"
     },
     {
      "$ref": "#/components/parameters/cursor"
     }
    ]
   }
  },
  "/v1/audit/verify": {
   "get": {
    "operationId": "verifyAudit",
    "summary": "Recompute the audit chain",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/AuditVerification"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/v1/notification-sinks": {
   "get": {
    "operationId": "listNotificationSinks",
    "summary": "Notification sinks, config-file ones first (secrets redacted)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/NotificationSinkList"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/v1/notification-sinks/{name}": {
   "get": {
    "operationId": "getNotificationSink",
    "summary": "A notification sink (secrets redacted)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/NotificationSink"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/n_sink"
     }
    ]
   },
   "put": {
    "operationId": "putNotificationSink",
    "summary": "Create or replace a sink (its secrets are sealed)",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/NotificationSinkPut"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "Replaced",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/NotificationSink"
        }
       }
      }
     },
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/NotificationSink"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/n_sink"
     }
    ]
   },
   "delete": {
    "operationId": "deleteNotificationSink",
    "summary": "Delete a sink no rule uses",
    "responses": {
     "204": {
      "description": "Done"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/n_sink"
     }
    ]
   }
  },
  "/v1/notification-rules": {
   "get": {
    "operationId": "listNotificationRules",
    "summary": "Notification rules, config-file ones first",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/NotificationRuleList"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/v1/notification-rules/{name}": {
   "get": {
    "operationId": "getNotificationRule",
    "summary": "A notification rule",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/NotificationRule"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/n_rule"
     }
    ]
   },
   "put": {
    "operationId": "putNotificationRule",
    "summary": "Create or replace a rule",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/NotificationRulePut"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "Replaced",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/NotificationRule"
        }
       }
      }
     },
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/NotificationRule"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/n_rule"
     }
    ]
   },
   "delete": {
    "operationId": "deleteNotificationRule",
    "summary": "Delete a rule",
    "responses": {
     "204": {
      "description": "Done"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/n_rule"
     }
    ]
   }
  },
  "/v1/notifications": {
   "get": {
    "operationId": "listNotifications",
    "summary": "The notification outbox, newest first",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/NotificationList"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/n_status"
     },
     {
      "$ref": "#/components/parameters/n_execution"
     },
     {
      "$ref": "#/components/parameters/n_sink_filter"
     },
     {
      "$ref": "#/components/parameters/limit"
     },
     {
      "$ref": "#/components/parameters/cursor"
     }
    ]
   }
  },
  "/v1/notifications/{id}": {
   "get": {
    "operationId": "getNotification",
    "summary": "One notification with its delivery state",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Notification"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/n_id"
     }
    ]
   }
  },
  "/v1/notifications/{id}/retry": {
   "post": {
    "operationId": "retryNotification",
    "summary": "Put a dead letter back in the outbox",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Notification"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/n_id"
     }
    ]
   }
  },
  "/v1/artifacts/{id}": {
   "get": {
    "operationId": "getArtifact",
    "summary": "An artifact a Looker delivery stored (its link carries a signature)",
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "description": "Artifact id",
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The artifact's bytes",
      "content": {
       "application/octet-stream": {
        "schema": {
         "type": "string",
         "format": "binary"
        }
       }
      }
     },
     "403": {
      "description": "Bad or expired link"
     },
     "404": {
      "description": "No such artifact"
     }
    }
   },
   "head": {
    "operationId": "headArtifact",
    "summary": "An artifact's size and type",
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "description": "Artifact id",
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "Headers only"
     },
     "403": {
      "description": "Bad or expired link"
     },
     "404": {
      "description": "No such artifact"
     }
    }
   }
  }
 },
 "components": {
  "securitySchemes": {
   "bearer": {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT"
   }
  },
  "parameters": {
   "limit": {
    "name": "limit",
    "in": "query",
    "required": false,
    "description": "Page size, 1..1000 (default 100)",
    "schema": {
     "type": "integer",
     "minimum": 1,
     "maximum": 1000
    }
   },
   "schedule": {
    "name": "name",
    "in": "path",
    "required": true,
    "description": "Schedule name",
    "schema": {
     "type": "string"
    }
   },
   "cursor": {
    "name": "cursor",
    "in": "query",
    "required": false,
    "description": "The next_cursor of the previous page",
    "schema": {
     "type": "string"
    }
   },
   "name": {
    "name": "name",
    "in": "path",
    "required": true,
    "description": "State machine name (or its ARN, URL-encoded)",
    "schema": {
     "type": "string"
    }
   },
   "version": {
    "name": "version",
    "in": "path",
    "required": true,
    "description": "Version number",
    "schema": {
     "type": "string"
    }
   },
   "alias": {
    "name": "alias",
    "in": "path",
    "required": true,
    "description": "Alias name",
    "schema": {
     "type": "string"
    }
   },
   "id": {
    "name": "id",
    "in": "path",
    "required": true,
    "description": "Execution ARN (URL-encoded) or short id <machine>:<name>",
    "schema": {
     "type": "string"
    }
   },
   "activity": {
    "name": "name",
    "in": "path",
    "required": true,
    "description": "Activity name (or its ARN, URL-encoded)",
    "schema": {
     "type": "string"
    }
   },
   "connection": {
    "name": "name",
    "in": "path",
    "required": true,
    "description": "Connection name",
    "schema": {
     "type": "string"
    }
   },
   "f_state_machine": {
    "name": "state_machine",
    "in": "query",
    "required": false,
    "description": "Only executions of this state machine (name or ARN)",
    "schema": {
     "type": "string"
    }
   },
   "f_status": {
    "name": "status",
    "in": "query",
    "required": false,
    "description": "Only executions with this status",
    "schema": {
     "type": "string",
     "enum": [
      "RUNNING",
      "SUCCEEDED",
      "FAILED",
      "TIMED_OUT",
      "ABORTED",
      "PENDING_REDRIVE"
     ]
    }
   },
   "f_started_after": {
    "name": "started_after",
    "in": "query",
    "required": false,
    "description": "Only executions started at or after this time (RFC 3339 or epoch ms)",
    "schema": {
     "type": "string"
    }
   },
   "f_started_before": {
    "name": "started_before",
    "in": "query",
    "required": false,
    "description": "Only executions started before this time (RFC 3339 or epoch ms)",
    "schema": {
     "type": "string"
    }
   },
   "f_name_prefix": {
    "name": "name_prefix",
    "in": "query",
    "required": false,
    "description": "Only executions whose name starts with this",
    "schema": {
     "type": "string"
    }
   },
   "f_error": {
    "name": "error",
    "in": "query",
    "required": false,
    "description": "Only executions that ended with this error (exact)",
    "schema": {
     "type": "string"
    }
   },
   "reverse": {
    "name": "reverse",
    "in": "query",
    "required": false,
    "description": "Newest events first",
    "schema": {
     "type": "boolean"
    }
   },
   "include_data": {
    "name": "include_data",
    "in": "query",
    "required": false,
    "description": "Include inputs and outputs (default true)",
    "schema": {
     "type": "boolean"
    }
   },
   "task_state": {
    "name": "state",
    "in": "query",
    "required": false,
    "description": "Task states, comma-separated (default QUEUED,STARTED)",
    "schema": {
     "type": "string"
    }
   },
   "task_activity": {
    "name": "activity",
    "in": "query",
    "required": false,
    "description": "Only tasks of this activity (name or ARN)",
    "schema": {
     "type": "string"
    }
   },
   "task_execution": {
    "name": "execution",
    "in": "query",
    "required": false,
    "description": "Only tasks of this execution (id or ARN)",
    "schema": {
     "type": "string"
    }
   },
   "n_sink": {
    "name": "name",
    "in": "path",
    "required": true,
    "description": "Sink name",
    "schema": {
     "type": "string"
    }
   },
   "n_rule": {
    "name": "name",
    "in": "path",
    "required": true,
    "description": "Rule name",
    "schema": {
     "type": "string"
    }
   },
   "n_id": {
    "name": "id",
    "in": "path",
    "required": true,
    "description": "Notification id",
    "schema": {
     "type": "string"
    }
   },
   "n_status": {
    "name": "status",
    "in": "query",
    "required": false,
    "description": "Only notifications in this state",
    "schema": {
     "type": "string",
     "enum": [
      "PENDING",
      "DELIVERED",
      "DEAD_LETTER"
     ]
    }
   },
   "n_execution": {
    "name": "execution",
    "in": "query",
    "required": false,
    "description": "Only notifications about this execution (ARN or short id)",
    "schema": {
     "type": "string"
    }
   },
   "n_sink_filter": {
    "name": "sink",
    "in": "query",
    "required": false,
    "description": "Only notifications to this sink",
    "schema": {
     "type": "string"
    }
   },
   "a_principal": {
    "name": "principal",
    "in": "query",
    "required": false,
    "description": "Only rows of this principal's actions (exact id)",
    "schema": {
     "type": "string"
    }
   },
   "a_action": {
    "name": "action",
    "in": "query",
    "required": false,
    "description": "Only rows of this action (exact, e.g. StartExecution)",
    "schema": {
     "type": "string"
    }
   },
   "a_resource": {
    "name": "resource",
    "in": "query",
    "required": false,
    "description": "Only rows about this resource (exact ARN or name)",
    "schema": {
     "type": "string"
    }
   },
   "a_since": {
    "name": "since",
    "in": "query",
    "required": false,
    "description": "Rows at or after this time (RFC 3339 or epoch ms)",
    "schema": {
     "type": "string"
    }
   },
   "a_until": {
    "name": "until",
    "in": "query",
    "required": false,
    "description": "Rows before this time (RFC 3339 or epoch ms)",
    "schema": {
     "type": "string"
    }
   },
   "a_order": {
    "name": "order",
    "in": "query",
    "required": false,
    "description": "asc (oldest first, default) or desc",
    "schema": {
     "type": "string",
     "enum": [
      "asc",
      "desc"
     ]
    }
   },
   "a_format": {
    "name": "format",
    "in": "query",
    "required": false,
    "description": "json (a page) or jsonl (every matching row, streamed; also Accept: application/x-ndjson)",
    "schema": {
     "type": "string",
     "enum": [
      "json",
      "jsonl"
     ]
    }
   }
  },
  "responses": {
   "BadRequest": {
    "description": "Malformed request: the detail names what is wrong",
    "content": {
     "application/problem+json": {
      "schema": {
       "$ref": "#/components/schemas/Problem"
      }
     }
    }
   },
   "Unauthorized": {
    "description": "No or bad credential (WWW-Authenticate: Bearer)",
    "content": {
     "application/problem+json": {
      "schema": {
       "$ref": "#/components/schemas/Problem"
      }
     }
    }
   },
   "Forbidden": {
    "description": "The principal's roles do not allow it",
    "content": {
     "application/problem+json": {
      "schema": {
       "$ref": "#/components/schemas/Problem"
      }
     }
    }
   },
   "NotFound": {
    "description": "No such resource",
    "content": {
     "application/problem+json": {
      "schema": {
       "$ref": "#/components/schemas/Problem"
      }
     }
    }
   },
   "Conflict": {
    "description": "The resource's state does not allow it",
    "content": {
     "application/problem+json": {
      "schema": {
       "$ref": "#/components/schemas/Problem"
      }
     }
    }
   },
   "Unavailable": {
    "description": "Overloaded, starting or stopping (Retry-After)",
    "content": {
     "application/problem+json": {
      "schema": {
       "$ref": "#/components/schemas/Problem"
      }
     }
    }
   }
  },
  "schemas": {
   "Problem": {
    "type": "object",
    "properties": {
     "type": {
      "type": "string"
     },
     "title": {
      "type": "string"
     },
     "status": {
      "type": "integer"
     },
     "detail": {
      "type": "string"
     },
     "instance": {
      "type": "string"
     },
     "code": {
      "type": "string"
     },
     "request_id": {
      "type": "string"
     }
    },
    "required": [
     "type",
     "title",
     "status",
     "detail",
     "code"
    ],
    "additionalProperties": false
   },
   "StateMachineSummary": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string"
     },
     "arn": {
      "type": "string"
     },
     "type": {
      "type": "string",
      "enum": [
       "STANDARD",
       "EXPRESS"
      ]
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     },
     "links": {
      "type": "object",
      "properties": {
       "self": {
        "type": "string",
        "format": "uri-reference"
       }
      },
      "required": [
       "self"
      ],
      "additionalProperties": false
     }
    },
    "required": [
     "name",
     "arn",
     "type",
     "created_at",
     "links"
    ],
    "additionalProperties": false
   },
   "StateMachineList": {
    "type": "object",
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/StateMachineSummary"
      }
     },
     "next_cursor": {
      "type": "string"
     }
    },
    "required": [
     "items"
    ],
    "additionalProperties": false
   },
   "VersionSummary": {
    "type": "object",
    "properties": {
     "version": {
      "type": "integer"
     },
     "arn": {
      "type": "string"
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     },
     "links": {
      "type": "object",
      "properties": {
       "self": {
        "type": "string",
        "format": "uri-reference"
       }
      },
      "required": [
       "self"
      ],
      "additionalProperties": false
     }
    },
    "required": [
     "version",
     "arn",
     "created_at",
     "links"
    ],
    "additionalProperties": false
   },
   "VersionList": {
    "type": "object",
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/VersionSummary"
      }
     },
     "next_cursor": {
      "type": "string"
     }
    },
    "required": [
     "items"
    ],
    "additionalProperties": false
   },
   "Version": {
    "type": "object",
    "properties": {
     "version": {
      "type": "integer"
     },
     "arn": {
      "type": "string"
     },
     "state_machine": {
      "type": "string"
     },
     "definition": {
      "type": "object"
     },
     "role_arn": {
      "type": "string"
     },
     "revision_id": {
      "type": "string"
     },
     "description": {
      "type": "string"
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     },
     "links": {
      "type": "object",
      "properties": {
       "self": {
        "type": "string",
        "format": "uri-reference"
       }
      },
      "required": [
       "self"
      ],
      "additionalProperties": false
     }
    },
    "required": [
     "version",
     "arn",
     "state_machine",
     "definition",
     "role_arn",
     "revision_id",
     "created_at",
     "links"
    ],
    "additionalProperties": false
   },
   "Route": {
    "type": "object",
    "properties": {
     "version": {
      "type": "integer",
      "minimum": 1
     },
     "weight": {
      "type": "integer",
      "minimum": 0,
      "maximum": 100
     }
    },
    "required": [
     "version",
     "weight"
    ],
    "additionalProperties": false
   },
   "Alias": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string"
     },
     "arn": {
      "type": "string"
     },
     "description": {
      "type": "string"
     },
     "routing": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Route"
      }
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     },
     "updated_at": {
      "type": "string",
      "format": "date-time"
     },
     "links": {
      "type": "object",
      "properties": {
       "self": {
        "type": "string",
        "format": "uri-reference"
       }
      },
      "required": [
       "self"
      ],
      "additionalProperties": false
     }
    },
    "required": [
     "name",
     "arn",
     "routing",
     "created_at",
     "links"
    ],
    "additionalProperties": false
   },
   "AliasList": {
    "type": "object",
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Alias"
      }
     },
     "next_cursor": {
      "type": "string"
     }
    },
    "required": [
     "items"
    ],
    "additionalProperties": false
   },
   "StateMachine": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string"
     },
     "arn": {
      "type": "string"
     },
     "type": {
      "type": "string",
      "enum": [
       "STANDARD",
       "EXPRESS"
      ]
     },
     "status": {
      "type": "string",
      "enum": [
       "ACTIVE",
       "DELETING"
      ]
     },
     "definition": {
      "type": "object"
     },
     "role_arn": {
      "type": "string"
     },
     "revision_id": {
      "type": "string"
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     },
     "description": {
      "type": "string"
     },
     "logging_configuration": {
      "type": "object"
     },
     "tracing_configuration": {
      "type": "object"
     },
     "versions": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/VersionSummary"
      }
     },
     "aliases": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Alias"
      }
     },
     "links": {
      "type": "object",
      "properties": {
       "self": {
        "type": "string",
        "format": "uri-reference"
       },
       "executions": {
        "type": "string",
        "format": "uri-reference"
       },
       "versions": {
        "type": "string",
        "format": "uri-reference"
       },
       "aliases": {
        "type": "string",
        "format": "uri-reference"
       }
      },
      "required": [
       "self"
      ],
      "additionalProperties": false
     }
    },
    "required": [
     "name",
     "arn",
     "type",
     "status",
     "definition",
     "role_arn",
     "revision_id",
     "created_at",
     "versions",
     "aliases",
     "links"
    ],
    "additionalProperties": false
   },
   "ExecutionRef": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string"
     },
     "arn": {
      "type": "string"
     }
    },
    "required": [
     "id",
     "arn"
    ],
    "additionalProperties": false
   },
   "ExecutionSummary": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string"
     },
     "arn": {
      "type": "string"
     },
     "name": {
      "type": "string"
     },
     "state_machine": {
      "type": "string"
     },
     "state_machine_arn": {
      "type": "string"
     },
     "status": {
      "type": "string",
      "enum": [
       "RUNNING",
       "SUCCEEDED",
       "FAILED",
       "TIMED_OUT",
       "ABORTED",
       "PENDING_REDRIVE"
      ]
     },
     "started_at": {
      "type": "string",
      "format": "date-time"
     },
     "version": {
      "type": "integer"
     },
     "alias": {
      "type": "string"
     },
     "stopped_at": {
      "type": "string",
      "format": "date-time"
     },
     "error": {
      "type": "string"
     },
     "cause": {
      "type": "string"
     },
     "redrive_count": {
      "type": "integer"
     },
     "redriven_at": {
      "type": "string",
      "format": "date-time"
     },
     "started_by": {
      "type": "string"
     },
     "restarted_from": {
      "type": "object",
      "properties": {
       "id": {
        "type": "string"
       },
       "arn": {
        "type": "string"
       },
       "from_state": {
        "type": "string"
       }
      },
      "required": [
       "id",
       "arn"
      ],
      "additionalProperties": false
     },
     "started_by_execution": {
      "type": "object",
      "properties": {
       "id": {
        "type": "string"
       },
       "arn": {
        "type": "string"
       }
      },
      "required": [
       "id",
       "arn"
      ],
      "additionalProperties": false
     },
     "links": {
      "type": "object",
      "properties": {
       "self": {
        "type": "string",
        "format": "uri-reference"
       },
       "history": {
        "type": "string",
        "format": "uri-reference"
       },
       "state_machine": {
        "type": "string",
        "format": "uri-reference"
       }
      },
      "required": [
       "self"
      ],
      "additionalProperties": false
     }
    },
    "required": [
     "id",
     "arn",
     "name",
     "state_machine",
     "state_machine_arn",
     "status",
     "started_at",
     "redrive_count",
     "links"
    ],
    "additionalProperties": false
   },
   "ExecutionList": {
    "type": "object",
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/ExecutionSummary"
      }
     },
     "next_cursor": {
      "type": "string"
     }
    },
    "required": [
     "items"
    ],
    "additionalProperties": false
   },
   "Execution": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string"
     },
     "arn": {
      "type": "string"
     },
     "name": {
      "type": "string"
     },
     "state_machine": {
      "type": "string"
     },
     "state_machine_arn": {
      "type": "string"
     },
     "status": {
      "type": "string",
      "enum": [
       "RUNNING",
       "SUCCEEDED",
       "FAILED",
       "TIMED_OUT",
       "ABORTED",
       "PENDING_REDRIVE"
      ]
     },
     "started_at": {
      "type": "string",
      "format": "date-time"
     },
     "version": {
      "type": "integer"
     },
     "alias": {
      "type": "string"
     },
     "stopped_at": {
      "type": "string",
      "format": "date-time"
     },
     "error": {
      "type": "string"
     },
     "cause": {
      "type": "string"
     },
     "redrive_count": {
      "type": "integer"
     },
     "redriven_at": {
      "type": "string",
      "format": "date-time"
     },
     "started_by": {
      "type": "string"
     },
     "restarted_from": {
      "type": "object",
      "properties": {
       "id": {
        "type": "string"
       },
       "arn": {
        "type": "string"
       },
       "from_state": {
        "type": "string"
       }
      },
      "required": [
       "id",
       "arn"
      ],
      "additionalProperties": false
     },
     "started_by_execution": {
      "type": "object",
      "properties": {
       "id": {
        "type": "string"
       },
       "arn": {
        "type": "string"
       }
      },
      "required": [
       "id",
       "arn"
      ],
      "additionalProperties": false
     },
     "links": {
      "type": "object",
      "properties": {
       "self": {
        "type": "string",
        "format": "uri-reference"
       },
       "history": {
        "type": "string",
        "format": "uri-reference"
       },
       "state_machine": {
        "type": "string",
        "format": "uri-reference"
       },
       "stop": {
        "type": "string",
        "format": "uri-reference"
       },
       "redrive": {
        "type": "string",
        "format": "uri-reference"
       },
       "restart": {
        "type": "string",
        "format": "uri-reference"
       },
       "definition": {
        "type": "string",
        "format": "uri-reference"
       }
      },
      "required": [
       "self"
      ],
      "additionalProperties": false
     },
     "input": {},
     "output": {},
     "current_state": {
      "type": "string",
      "nullable": true
     },
     "redrivable": {
      "type": "boolean"
     },
     "not_redrivable_reason": {
      "type": "string"
     },
     "map_run_arn": {
      "type": "string"
     },
     "parent": {
      "type": "object",
      "properties": {
       "id": {
        "type": "string"
       },
       "arn": {
        "type": "string"
       }
      },
      "required": [
       "id",
       "arn"
      ],
      "additionalProperties": false
     },
     "restarts": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "id": {
         "type": "string"
        },
        "arn": {
         "type": "string"
        },
        "status": {
         "type": "string",
         "enum": [
          "RUNNING",
          "SUCCEEDED",
          "FAILED",
          "TIMED_OUT",
          "ABORTED",
          "PENDING_REDRIVE"
         ]
        },
        "started_at": {
         "type": "string",
         "format": "date-time"
        }
       },
       "required": [
        "id",
        "arn",
        "status",
        "started_at"
       ],
       "additionalProperties": false
      }
     }
    },
    "required": [
     "id",
     "arn",
     "name",
     "state_machine",
     "state_machine_arn",
     "status",
     "started_at",
     "redrive_count",
     "links",
     "input",
     "current_state",
     "redrivable",
     "restarts"
    ],
    "additionalProperties": false
   },
   "ExecutionCounts": {
    "type": "object",
    "properties": {
     "counts": {
      "type": "object",
      "description": "Executions by status; every status is present (0 when none)",
      "properties": {
      "RUNNING": {
       "type": "integer",
       "minimum": 0
      },
      "SUCCEEDED": {
       "type": "integer",
       "minimum": 0
      },
      "FAILED": {
       "type": "integer",
       "minimum": 0
      },
      "TIMED_OUT": {
       "type": "integer",
       "minimum": 0
      },
      "ABORTED": {
       "type": "integer",
       "minimum": 0
      },
      "PENDING_REDRIVE": {
       "type": "integer",
       "minimum": 0
      }
      },
      "required": [
      "RUNNING",
      "SUCCEEDED",
      "FAILED",
      "TIMED_OUT",
      "ABORTED",
      "PENDING_REDRIVE"
      ],
      "additionalProperties": false
     },
     "total": {
      "type": "integer",
      "minimum": 0
     }
    },
    "required": [
     "counts",
     "total"
    ],
    "additionalProperties": false
   },
   "ExecutionDefinition": {
    "type": "object",
    "properties": {
     "state_machine": {
      "type": "object",
      "properties": {
       "name": {
        "type": "string"
       },
       "arn": {
        "type": "string"
       }
      },
      "required": [
       "name",
       "arn"
      ],
      "additionalProperties": false
     },
     "definition": {
      "type": "object",
      "description": "The Amazon States Language definition of the revision the execution ran"
     },
     "revision_id": {
      "type": "string",
      "description": "That revision's id; empty while the state machine was never updated (as the state machine's own revision_id)"
     },
     "version": {
      "type": "integer",
      "description": "The version the execution ran; absent when it ran the state machine itself"
     },
     "updated_at": {
      "type": "string",
      "format": "date-time",
      "description": "When the state machine was last updated (AWS's updateDate: the state machine's, not the revision's)"
     },
     "map_run_arn": {
      "type": "string",
      "description": "The Map Run that started the execution, for a Map Run's child"
     }
    },
    "required": [
     "state_machine",
     "definition",
     "revision_id",
     "updated_at"
    ],
    "additionalProperties": false
   },
   "HistoryEvent": {
    "type": "object",
    "properties": {
     "id": {
      "type": "integer"
     },
     "previous_event_id": {
      "type": "integer"
     },
     "type": {
      "type": "string"
     },
     "timestamp": {
      "type": "string",
      "format": "date-time"
     },
     "details": {
      "type": "object"
     }
    },
    "required": [
     "id",
     "previous_event_id",
     "type",
     "timestamp"
    ],
    "additionalProperties": false
   },
   "HistoryPage": {
    "type": "object",
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/HistoryEvent"
      }
     },
     "next_cursor": {
      "type": "string"
     }
    },
    "required": [
     "items"
    ],
    "additionalProperties": false
   },
   "BulkResult": {
    "type": "object",
    "properties": {
     "matched": {
      "type": "integer"
     },
     "succeeded": {
      "type": "integer"
     },
     "failed": {
      "type": "integer"
     },
     "dry_run": {
      "type": "boolean"
     },
     "truncated": {
      "type": "boolean"
     },
     "results": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "id": {
         "type": "string"
        },
        "arn": {
         "type": "string"
        },
        "outcome": {
         "type": "string",
         "enum": [
          "stopped",
          "redriven",
          "not_running",
          "failed",
          "would_be_stopped",
          "would_be_redriven"
         ]
        },
        "status": {
         "type": "string",
         "enum": [
          "RUNNING",
          "SUCCEEDED",
          "FAILED",
          "TIMED_OUT",
          "ABORTED",
          "PENDING_REDRIVE"
         ]
        },
        "problem": {
         "type": "object",
         "properties": {
          "status": {
           "type": "integer"
          },
          "code": {
           "type": "string"
          },
          "detail": {
           "type": "string"
          }
         },
         "required": [
          "status",
          "code",
          "detail"
         ],
         "additionalProperties": false
        }
       },
       "required": [
        "id",
        "arn",
        "outcome"
       ],
       "additionalProperties": false
      }
     }
    },
    "required": [
     "matched",
     "succeeded",
     "failed",
     "dry_run",
     "truncated",
     "results"
    ],
    "additionalProperties": false
   },
   "Activity": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string"
     },
     "arn": {
      "type": "string"
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     },
     "links": {
      "type": "object",
      "properties": {
       "self": {
        "type": "string",
        "format": "uri-reference"
       },
       "tasks": {
        "type": "string",
        "format": "uri-reference"
       }
      },
      "required": [
       "self"
      ],
      "additionalProperties": false
     }
    },
    "required": [
     "name",
     "arn",
     "created_at",
     "links"
    ],
    "additionalProperties": false
   },
   "ActivityList": {
    "type": "object",
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Activity"
      }
     },
     "next_cursor": {
      "type": "string"
     }
    },
    "required": [
     "items"
    ],
    "additionalProperties": false
   },
   "Task": {
    "type": "object",
    "properties": {
     "kind": {
      "type": "string",
      "enum": [
       "activity",
       "callback"
      ]
     },
     "activity": {
      "type": "string"
     },
     "activity_arn": {
      "type": "string"
     },
     "resource": {
      "type": "string"
     },
     "execution": {
      "type": "object",
      "properties": {
       "id": {
        "type": "string"
       },
       "arn": {
        "type": "string"
       },
       "links": {
        "type": "object",
        "properties": {
         "self": {
          "type": "string",
          "format": "uri-reference"
         }
        },
        "required": [
         "self"
        ],
        "additionalProperties": false
       }
      },
      "required": [
       "id",
       "arn"
      ],
      "additionalProperties": false
     },
     "task_id": {
      "type": "integer"
     },
     "state": {
      "type": "string",
      "enum": [
       "QUEUED",
       "STARTED",
       "SUCCEEDED",
       "FAILED",
       "CLOSED"
      ]
     },
     "worker": {
      "type": "string"
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     },
     "started_at": {
      "type": "string",
      "format": "date-time"
     },
     "heartbeat_at": {
      "type": "string",
      "format": "date-time"
     },
     "input": {}
    },
    "required": [
     "kind",
     "execution",
     "task_id",
     "state",
     "created_at",
     "input"
    ],
    "additionalProperties": false
   },
   "Me": {
    "type": "object",
    "properties": {
     "principal": {"type": "string", "description": "The principal as audit rows name it"},
     "kind": {"type": "string", "enum": ["local", "oidc", "sigv4", "looker"]},
     "subject": {"type": "string"},
     "email": {"type": "string"},
     "groups": {"type": "array", "items": {"type": "string"}},
     "roles": {"type": "string", "description": "Readable: \"operator (etl-*), viewer\"; \"none\""},
     "grants": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "role": {"type": "string", "enum": ["viewer", "trigger", "operator", "admin"]},
        "state_machines": {"type": "array", "items": {"type": "string"}, "description": "Patterns; empty: every state machine"}
       },
       "required": ["role", "state_machines"],
       "additionalProperties": false
      }
     },
     "permissions": {"$ref": "#/components/schemas/Permissions"},
     "state_machine": {
      "allOf": [{"$ref": "#/components/schemas/Permissions"}],
      "description": "The permissions on the state machine named by ?state_machine, with its name"
     }
    },
    "required": ["principal", "kind", "roles", "grants", "permissions"],
    "additionalProperties": false
   },
   "Permissions": {
    "type": "object",
    "description": "What the caller may do (everywhere, or on one state machine)",
    "properties": {
     "name": {"type": "string"},
     "read": {"type": "boolean"},
     "start": {"type": "boolean"},
     "operate": {"type": "boolean"},
     "manage": {"type": "boolean"}
    },
    "required": ["read", "start", "operate", "manage"],
    "additionalProperties": false
   },
   "TaskList": {
    "type": "object",
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Task"
      }
     },
     "next_cursor": {
      "type": "string"
     }
    },
    "required": [
     "items"
    ],
    "additionalProperties": false
   },
   "Connection": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string"
     },
     "arn": {
      "type": "string"
     },
     "state": {
      "type": "string"
     },
     "authorization_type": {
      "type": "string"
     },
     "description": {
      "type": "string"
     },
     "state_reason": {
      "type": "string"
     },
     "auth_parameters": {
      "type": "object"
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     },
     "updated_at": {
      "type": "string",
      "format": "date-time"
     },
     "authorized_at": {
      "type": "string",
      "format": "date-time"
     },
     "links": {
      "type": "object",
      "properties": {
       "self": {
        "type": "string",
        "format": "uri-reference"
       }
      },
      "required": [
       "self"
      ],
      "additionalProperties": false
     }
    },
    "required": [
     "name",
     "arn",
     "state",
     "authorization_type",
     "links"
    ],
    "additionalProperties": false
   },
   "ConnectionList": {
    "type": "object",
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Connection"
      }
     },
     "next_cursor": {
      "type": "string"
     }
    },
    "required": [
     "items"
    ],
    "additionalProperties": false
   },
   "Schedule": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string",
      "minLength": 1,
      "maxLength": 64,
      "pattern": "^[0-9A-Za-z_.-]+$"
     },
     "description": {
      "type": "string",
      "maxLength": 512
     },
     "state_machine": {
      "type": "string",
      "description": "A state machine's name or unqualified ARN"
     },
     "version": {
      "type": "integer",
      "minimum": 1
     },
     "alias": {
      "type": "string"
     },
     "input": {
      "description": "The input every start gets (any JSON; default {})"
     },
     "expression": {
      "type": "string",
      "description": "rate(5 minutes), cron(0 12 * * ? *) or at(2026-12-24T18:00:00), as EventBridge Scheduler"
     },
     "timezone": {
      "type": "string",
      "description": "IANA time zone of cron and at (default UTC)"
     },
     "start": {
      "type": "string",
      "format": "date-time"
     },
     "end": {
      "type": "string",
      "format": "date-time"
     },
     "enabled": {
      "type": "boolean"
     },
     "catch_up": {
      "type": "string",
      "enum": [
       "SKIP",
       "LAST"
      ]
     },
     "state_machine_arn": {
      "type": "string"
     },
     "source": {
      "type": "string",
      "enum": [
       "api",
       "config"
      ]
     },
     "next_fire": {
      "type": "string",
      "format": "date-time"
     },
     "last_fire": {
      "type": "string",
      "format": "date-time"
     },
     "last_execution": {
      "type": "object",
      "properties": {
       "id": {
        "type": "string"
       },
       "arn": {
        "type": "string"
       }
      },
      "required": [
       "id",
       "arn"
      ],
      "additionalProperties": false
     },
     "last_error": {
      "type": "string"
     },
     "revision": {
      "type": "integer"
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     },
     "updated_at": {
      "type": "string",
      "format": "date-time"
     },
     "upcoming": {
      "type": "array",
      "items": {
       "type": "string",
       "format": "date-time"
      }
     },
     "links": {
      "type": "object",
      "properties": {
       "self": {
        "type": "string",
        "format": "uri-reference"
       },
       "state_machine": {
        "type": "string",
        "format": "uri-reference"
       }
      },
      "required": [
       "self",
       "state_machine"
      ],
      "additionalProperties": false
     }
    },
    "required": [
     "name",
     "description",
     "state_machine",
     "state_machine_arn",
     "input",
     "expression",
     "timezone",
     "enabled",
     "catch_up",
     "source",
     "revision",
     "created_at",
     "updated_at",
     "links"
    ],
    "additionalProperties": false
   },
   "ScheduleList": {
    "type": "object",
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Schedule"
      }
     }
    },
    "required": [
     "items"
    ],
    "additionalProperties": false
   },
   "ScheduleRequest": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string",
      "minLength": 1,
      "maxLength": 64,
      "pattern": "^[0-9A-Za-z_.-]+$"
     },
     "description": {
      "type": "string",
      "maxLength": 512
     },
     "state_machine": {
      "type": "string",
      "description": "A state machine's name or unqualified ARN"
     },
     "version": {
      "type": "integer",
      "minimum": 1
     },
     "alias": {
      "type": "string"
     },
     "input": {
      "description": "The input every start gets (any JSON; default {})"
     },
     "expression": {
      "type": "string",
      "description": "rate(5 minutes), cron(0 12 * * ? *) or at(2026-12-24T18:00:00), as EventBridge Scheduler"
     },
     "timezone": {
      "type": "string",
      "description": "IANA time zone of cron and at (default UTC)"
     },
     "start": {
      "type": "string",
      "format": "date-time"
     },
     "end": {
      "type": "string",
      "format": "date-time"
     },
     "enabled": {
      "type": "boolean"
     },
     "catch_up": {
      "type": "string",
      "enum": [
       "SKIP",
       "LAST"
      ]
     }
    },
    "required": [
     "state_machine",
     "expression"
    ],
    "additionalProperties": false
   },
   "ScheduleFire": {
    "type": "object",
    "description": "Empty: the schedule's own input is used",
    "properties": {},
    "additionalProperties": false
   },
   "ScheduleEnabled": {
    "type": "object",
    "properties": {
     "enabled": {
      "type": "boolean"
     }
    },
    "required": [
     "enabled"
    ],
    "additionalProperties": false
   },
   "AuditRow": {
    "type": "object",
    "properties": {
     "seq": {
      "type": "integer"
     },
     "timestamp": {
      "type": "string",
      "format": "date-time"
     },
     "principal": {
      "type": "string"
     },
     "action": {
      "type": "string"
     },
     "resource": {
      "type": "string"
     },
     "event_id": {
      "type": "integer"
     },
     "details": {
      "type": "object"
     },
     "hash": {
      "type": "string"
     },
     "prev_hash": {
      "type": "string"
     }
    },
    "required": [
     "seq",
     "timestamp",
     "principal",
     "action",
     "resource",
     "details",
     "hash",
     "prev_hash"
    ],
    "additionalProperties": false
   },
   "AuditList": {
    "type": "object",
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/AuditRow"
      }
     },
     "next_cursor": {
      "type": "string"
     }
    },
    "required": [
     "items"
    ],
    "additionalProperties": false
   },
   "AuditVerification": {
    "type": "object",
    "properties": {
     "intact": {
      "type": "boolean"
     },
     "rows": {
      "type": "integer"
     },
     "head": {
      "type": "object",
      "properties": {
       "seq": {
        "type": "integer"
       },
       "hash": {
        "type": "string"
       }
      },
      "required": [
       "seq",
       "hash"
      ],
      "additionalProperties": false
     },
     "problem": {
      "type": "string"
     }
    },
    "required": [
     "intact",
     "rows",
     "head"
    ],
    "additionalProperties": false
   },
   "NotificationSink": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string"
     },
     "type": {
      "type": "string",
      "enum": [
       "slack",
       "pagerduty",
       "webhook"
      ]
     },
     "url": {
      "type": "string",
      "description": "Redacted: scheme and host only"
     },
     "secret": {
      "type": "string",
      "description": "Always \"(redacted)\""
     },
     "routing_key": {
      "type": "string",
      "description": "Always \"(redacted)\""
     },
     "events_url": {
      "type": "string"
     },
     "severity": {
      "type": "string",
      "enum": [
       "critical",
       "error",
       "warning",
       "info"
      ]
     },
     "source": {
      "type": "string",
      "enum": [
       "config",
       "api"
      ]
     }
    },
    "required": [
     "name",
     "type",
     "source"
    ],
    "additionalProperties": false
   },
   "NotificationSinkList": {
    "type": "object",
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/NotificationSink"
      }
     }
    },
    "required": [
     "items"
    ],
    "additionalProperties": false
   },
   "NotificationSinkPut": {
    "type": "object",
    "properties": {
     "type": {
      "type": "string",
      "enum": [
       "slack",
       "pagerduty",
       "webhook"
      ]
     },
     "url": {
      "type": "string",
      "description": "slack, webhook: where to POST (secret)"
     },
     "secret": {
      "type": "string",
      "minLength": 16,
      "description": "webhook: the HMAC-SHA256 key (secret)"
     },
     "routing_key": {
      "type": "string",
      "description": "pagerduty: the integration key (secret)"
     },
     "events_url": {
      "type": "string",
      "description": "pagerduty: the Events API v2 URL"
     },
     "severity": {
      "type": "string",
      "enum": [
       "critical",
       "error",
       "warning",
       "info"
      ]
     }
    },
    "required": [
     "type"
    ],
    "additionalProperties": false
   },
   "NotificationRule": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string"
     },
     "state_machines": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "outcomes": {
      "type": "array",
      "items": {
       "type": "string",
       "enum": [
        "FAILED",
        "TIMED_OUT",
        "ABORTED",
        "SUCCEEDED",
        "REDRIVEN"
       ]
      }
     },
     "sink": {
      "type": "string"
     },
     "source": {
      "type": "string",
      "enum": [
       "config",
       "api"
      ]
     }
    },
    "required": [
     "name",
     "state_machines",
     "outcomes",
     "sink",
     "source"
    ],
    "additionalProperties": false
   },
   "NotificationRuleList": {
    "type": "object",
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/NotificationRule"
      }
     }
    },
    "required": [
     "items"
    ],
    "additionalProperties": false
   },
   "NotificationRulePut": {
    "type": "object",
    "properties": {
     "state_machines": {
      "type": "array",
      "items": {
       "type": "string"
      },
      "description": "Glob patterns of names ('*', '?'); none: every machine"
     },
     "outcomes": {
      "type": "array",
      "minItems": 1,
      "items": {
       "type": "string",
       "enum": [
        "FAILED",
        "TIMED_OUT",
        "ABORTED",
        "SUCCEEDED",
        "REDRIVEN"
       ]
      }
     },
     "sink": {
      "type": "string"
     }
    },
    "required": [
     "outcomes",
     "sink"
    ],
    "additionalProperties": false
   },
   "Notification": {
    "type": "object",
    "properties": {
     "id": {
      "type": "integer"
     },
     "status": {
      "type": "string",
      "enum": [
       "PENDING",
       "DELIVERED",
       "DEAD_LETTER"
      ]
     },
     "attempts": {
      "type": "integer"
     },
     "outcome": {
      "type": "string"
     },
     "kind": {
      "type": "string",
      "enum": [
       "message",
       "trigger",
       "resolve"
      ]
     },
     "rule": {
      "type": "string"
     },
     "sink": {
      "type": "string"
     },
     "sink_type": {
      "type": "string"
     },
     "execution_arn": {
      "type": "string"
     },
     "state_machine": {
      "type": "string"
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     },
     "updated_at": {
      "type": "string",
      "format": "date-time"
     },
     "next_attempt_at": {
      "type": "string",
      "format": "date-time"
     },
     "delivered_at": {
      "type": "string",
      "format": "date-time"
     },
     "last_error": {
      "type": "string"
     },
     "event": {
      "type": "object"
     },
     "links": {
      "type": "object",
      "properties": {
       "self": {
        "type": "string",
        "format": "uri-reference"
       },
       "execution": {
        "type": "string",
        "format": "uri-reference"
       }
      },
      "required": [
       "self",
       "execution"
      ],
      "additionalProperties": false
     }
    },
    "required": [
     "id",
     "status",
     "attempts",
     "outcome",
     "kind",
     "rule",
     "sink",
     "sink_type",
     "execution_arn",
     "state_machine",
     "created_at",
     "updated_at",
     "event",
     "links"
    ],
    "additionalProperties": false
   },
   "NotificationList": {
    "type": "object",
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Notification"
      }
     },
     "next_cursor": {
      "type": "string"
     }
    },
    "required": [
     "items"
    ],
    "additionalProperties": false
   },
   "StateMachineCreate": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string"
     },
     "definition": {
      "oneOf": [
       {
        "type": "object"
       },
       {
        "type": "string"
       }
      ]
     },
     "type": {
      "type": "string",
      "enum": [
       "STANDARD",
       "EXPRESS"
      ]
     },
     "role_arn": {
      "type": "string"
     },
     "logging_configuration": {
      "type": "object"
     },
     "tracing_configuration": {
      "type": "object"
     },
     "tags": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      }
     },
     "publish": {
      "type": "boolean"
     },
     "version_description": {
      "type": "string"
     }
    },
    "required": [
     "name",
     "definition"
    ],
    "additionalProperties": false
   },
   "StateMachinePut": {
    "type": "object",
    "properties": {
     "definition": {
      "oneOf": [
       {
        "type": "object"
       },
       {
        "type": "string"
       }
      ]
     },
     "type": {
      "type": "string",
      "enum": [
       "STANDARD",
       "EXPRESS"
      ]
     },
     "role_arn": {
      "type": "string"
     },
     "logging_configuration": {
      "type": "object"
     },
     "tracing_configuration": {
      "type": "object"
     },
     "tags": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      }
     },
     "publish": {
      "type": "boolean"
     },
     "version_description": {
      "type": "string"
     }
    },
    "additionalProperties": false
   },
   "VersionPublish": {
    "type": "object",
    "properties": {
     "description": {
      "type": "string"
     },
     "revision_id": {
      "type": "string"
     }
    },
    "additionalProperties": false
   },
   "AliasCreate": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string"
     },
     "description": {
      "type": "string"
     },
     "routing": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Route"
      }
     }
    },
    "required": [
     "name",
     "routing"
    ],
    "additionalProperties": false
   },
   "AliasPut": {
    "type": "object",
    "properties": {
     "description": {
      "type": "string"
     },
     "routing": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Route"
      }
     }
    },
    "additionalProperties": false
   },
   "ExecutionStart": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string"
     },
     "input": {},
     "version": {
      "type": "integer",
      "minimum": 1
     },
     "alias": {
      "type": "string"
     },
     "trace_header": {
      "type": "string"
     }
    },
    "additionalProperties": false
   },
   "ExecutionStop": {
    "type": "object",
    "properties": {
     "error": {
      "type": "string"
     },
     "cause": {
      "type": "string"
     }
    },
    "additionalProperties": false
   },
   "ExecutionRedrive": {
    "type": "object",
    "properties": {},
    "additionalProperties": false
   },
   "ExecutionRestart": {
    "type": "object",
    "properties": {
     "from_state": {
      "type": "string"
     },
     "input": {},
     "name": {
      "type": "string"
     }
    },
    "required": [
     "from_state"
    ],
    "additionalProperties": false
   },
   "ExecutionFilter": {
    "type": "object",
    "properties": {
     "state_machine": {
      "type": "string"
     },
     "status": {
      "type": "string",
      "enum": [
       "RUNNING",
       "SUCCEEDED",
       "FAILED",
       "TIMED_OUT",
       "ABORTED",
       "PENDING_REDRIVE"
      ]
     },
     "started_after": {
      "type": "string"
     },
     "started_before": {
      "type": "string"
     },
     "name_prefix": {
      "type": "string"
     },
     "error": {
      "type": "string"
     }
    },
    "additionalProperties": false
   },
   "BulkStop": {
    "type": "object",
    "properties": {
     "filter": {
      "$ref": "#/components/schemas/ExecutionFilter"
     },
     "all": {
      "type": "boolean"
     },
     "dry_run": {
      "type": "boolean"
     },
     "limit": {
      "type": "integer",
      "minimum": 1,
      "maximum": 10000
     },
     "error": {
      "type": "string"
     },
     "cause": {
      "type": "string"
     }
    },
    "additionalProperties": false
   },
   "BulkRedrive": {
    "type": "object",
    "properties": {
     "filter": {
      "$ref": "#/components/schemas/ExecutionFilter"
     },
     "all": {
      "type": "boolean"
     },
     "dry_run": {
      "type": "boolean"
     },
     "limit": {
      "type": "integer",
      "minimum": 1,
      "maximum": 10000
     }
    },
    "additionalProperties": false
   }
  }
 }
})json");
  return *kDocument;
}

}  // namespace stepd::api
