// The parts of ECharts the console uses, registered once. Loaded on demand so pages are usable
// before the charting code has arrived.

import { BarChart, LineChart, MapChart, PieChart, SankeyChart } from 'echarts/charts';
import { DatasetComponent, GeoComponent, GridComponent, LegendComponent, MarkAreaComponent, MarkLineComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([LineChart, BarChart, PieChart, SankeyChart, MapChart, GridComponent, TooltipComponent, LegendComponent, DatasetComponent, MarkLineComponent, MarkAreaComponent, VisualMapComponent, GeoComponent, CanvasRenderer]);

export { echarts };
